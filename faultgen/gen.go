package faultgen

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/kb"
)

// ErrNoTool is returned when ffmpeg or every speech synthesiser is missing.
var ErrNoTool = errors.New("faultgen: ffmpeg and espeak-ng or flite are needed")

// Frame size and rate of the generated videos.
const (
	Width, Height = 1280, 720
	FPS           = 10
)

// Truth is the ground truth of one generated video, one line of truth.jsonl.
type Truth struct {
	File  string `json:"file"`
	Pack  string `json:"pack"`
	Model string `json:"model"`
	Kind  string `json:"kind"`
	// Code is the fault: the error code on the display, or the router fault its lights show.
	Code string `json:"code"`
	// Display is the text on the display ("" for routers).
	Display string `json:"display,omitempty"`
	// DisplayKind is "led" (lit segments on a dark window), "lcd" (dark segments on a light
	// panel), "dotmatrix" (lit 5x7 LED dots) or "dotmatrix-lcd" (dark 5x7 pixels on a light
	// panel); "" for routers.
	DisplayKind string `json:"display_kind,omitempty"`
	Narration   string `json:"narration"`
	Voice       string `json:"voice"`
	// NamesCode tells whether the narration says the code.
	NamesCode bool `json:"names_code"`
	// Lights are the light states shown, as "name colour pattern".
	Lights  []string `json:"lights,omitempty"`
	Sound   string   `json:"sound,omitempty"`
	Degrade []string `json:"degrade"`
	Seconds float64  `json:"seconds"`
}

// Options choose what to generate.
type Options struct {
	N       int
	Seed    uint64
	Seconds float64
	// Routers is the share of router videos, the rest are appliances.
	Routers float64
}

// Voices lists the synthetic narrators, by program and voice.
var Voices = []string{"espeak-ng:en-us", "espeak-ng:en-gb", "espeak-ng:en-us+f3", "flite:slt", "flite:kal", "flite:rms"}

var (
	saysCode = []string{
		"My %s shows %s and it stopped.",
		"Hi, my %s is showing error %s, can you help?",
		"The %s display says %s. What does that mean?",
	}
	saysNothing = []string{
		"My %s is showing this. Can you help me?",
		"Hi, this keeps coming up on my %s. What is wrong with it?",
		"Look at this please. The %s stopped in the middle.",
		"Can you tell me what this means? It happened this morning.",
	}
	routerSays = []string{
		"My internet is not working, these are the lights on my router.",
		"The router looks like this and nothing loads.",
	}
)

// Generate writes o.N videos and truth.jsonl to dir.
func Generate(ctx context.Context, lib *kb.Library, dir string, o Options, progress func(i, n int)) ([]Truth, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, ErrNoTool
	}
	voices := availableVoices()
	if len(voices) == 0 {
		return nil, ErrNoTool
	}
	if o.N <= 0 {
		o.N = 24
	}
	if o.Seconds <= 0 {
		o.Seconds = 8
	}
	app, err := lib.Pack("appliances")
	if err != nil {
		return nil, err
	}
	tel, err := lib.Pack("telecom")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xfa017))
	var out []Truth
	nRouter := int(math.Round(float64(o.N) * o.Routers))
	for i := 0; i < o.N; i++ {
		var sc *scene
		if i >= o.N-nRouter {
			sc = routerScene(tel, i, rng)
		} else {
			sc = applianceScene(app, i, rng)
		}
		sc.truth.Seconds = o.Seconds
		sc.truth.Voice = voices[i%len(voices)]
		sc.truth.File = fmt.Sprintf("fault-%03d.mp4", i)
		sc.degrade(rng)
		if err := sc.write(ctx, filepath.Join(dir, sc.truth.File), rng); err != nil {
			return nil, fmt.Errorf("faultgen: %s: %w", sc.truth.File, err)
		}
		out = append(out, sc.truth)
		if progress != nil {
			progress(i+1, o.N)
		}
	}
	f, err := os.Create(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(f)
	for _, t := range out {
		if err := enc.Encode(t); err != nil {
			f.Close()
			return nil, err
		}
	}
	return out, f.Close()
}

func availableVoices() []string {
	var out []string
	for _, v := range Voices {
		prog, _, _ := strings.Cut(v, ":")
		if _, err := exec.LookPath(prog); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// scene is one video to render.
type scene struct {
	truth Truth
	// draw renders the frame at time t (seconds) with the camera offset (dx, dy).
	draw     func(img *image.RGBA, t float64, dx, dy int)
	plate    []string // rating-plate lines, shown first
	shake    float64
	glareAt  image.Point
	glareStr float64
	blur     int
	noise    int
}

func (sc *scene) degrade(rng *rand.Rand) {
	if rng.Float64() < 0.6 {
		sc.shake = 4 + rng.Float64()*10
		sc.truth.Degrade = append(sc.truth.Degrade, fmt.Sprintf("shake %.0f px", sc.shake))
	}
	if rng.Float64() < 0.5 {
		sc.blur = 1 + rng.IntN(2)
		sc.truth.Degrade = append(sc.truth.Degrade, fmt.Sprintf("blur %d", sc.blur))
	}
	if rng.Float64() < 0.5 {
		sc.glareAt = image.Pt(200+rng.IntN(880), 120+rng.IntN(480))
		sc.glareStr = 0.35 + rng.Float64()*0.35
		sc.truth.Degrade = append(sc.truth.Degrade, fmt.Sprintf("glare %.2f", sc.glareStr))
	}
	if rng.Float64() < 0.5 {
		sc.noise = 6 + rng.IntN(8)
		sc.truth.Degrade = append(sc.truth.Degrade, fmt.Sprintf("noise %d", sc.noise))
	}
	if sc.truth.Degrade == nil {
		sc.truth.Degrade = []string{}
	}
}

func applianceScene(p *kb.Pack, i int, rng *rand.Rand) *scene {
	fault := p.Faults[i%len(p.Faults)]
	var models []kb.Product
	for _, pr := range p.Products {
		if pr.Kind == fault.Kind {
			models = append(models, pr)
		}
	}
	pr := models[rng.IntN(len(models))]
	word := pr.Name
	if rng.IntN(2) == 0 {
		word = pr.Kind
	}
	sc := &scene{truth: Truth{Pack: p.Name, Model: pr.ID, Kind: pr.Kind, Code: fault.Code, Display: fault.Code}}
	if i%2 == 0 {
		sc.truth.NamesCode = true
		sc.truth.Narration = fmt.Sprintf(saysCode[rng.IntN(len(saysCode))], word, spoken(fault.Code))
	} else {
		t := saysNothing[rng.IntN(len(saysNothing))]
		if strings.Contains(t, "%s") {
			t = fmt.Sprintf(t, word)
		}
		sc.truth.Narration = t
	}
	segColor := color.RGBA{255, 48, 48, 255}
	if pr.Display != nil && pr.Display.Color != "" {
		segColor = hexColor(pr.Display.Color)
	}
	ghost := color.RGBA{segColor.R / 7, segColor.G / 7, segColor.B / 7, 255}
	window := color.RGBA{24, 24, 26, 255}
	sc.truth.DisplayKind = "led"
	// Every third appliance, and every product whose pack says so, has a liquid-crystal panel:
	// dark segments on a light greenish or grey glass, the unlit ones faintly visible.
	if (pr.Display != nil && pr.Display.Type == "lcd") || i%3 == 2 {
		sc.truth.DisplayKind = "lcd"
		g := rng.IntN(2) == 0
		base := 150 + rng.IntN(40)
		window = color.RGBA{uint8(base), uint8(base + 8), uint8(base - 4), 255}
		if g {
			window = color.RGBA{uint8(base), uint8(base + 22), uint8(base - 18), 255}
		}
		segColor = color.RGBA{uint8(30 + rng.IntN(20)), uint8(36 + rng.IntN(20)), uint8(32 + rng.IntN(20)), 255}
		ghost = color.RGBA{window.R - 10, window.G - 10, window.B - 10, 255}
	}
	// Every third appliance from the second on, and every product whose pack says so, has a 5x7
	// dot-matrix display instead: lit round LEDs on the dark window, or, one time in two, dark
	// square pixels on a light liquid-crystal glass.
	dots, dotPitch := false, 14+rng.IntN(12)
	if (pr.Display != nil && pr.Display.Type == "dotmatrix") || (i%3 == 1 && (pr.Display == nil || pr.Display.Type != "lcd")) {
		dots = true
		sc.truth.DisplayKind = "dotmatrix"
		if rng.IntN(2) == 0 {
			sc.truth.DisplayKind = "dotmatrix-lcd"
			base := 150 + rng.IntN(40)
			window = color.RGBA{uint8(base), uint8(base + 18), uint8(base - 14), 255}
			segColor = color.RGBA{uint8(30 + rng.IntN(20)), uint8(36 + rng.IntN(20)), uint8(32 + rng.IntN(20)), 255}
			ghost = color.RGBA{window.R - 10, window.G - 10, window.B - 10, 255}
		}
	}
	blinkCode := rng.IntN(2) == 0
	lights, truth := lightStates(fault, pr, func(name string) string {
		if name == "power" {
			return "green"
		}
		return "off"
	})
	sc.truth.Lights = truth
	sc.truth.Sound = soundFor(fault, rng)
	panel := color.RGBA{uint8(200 + rng.IntN(40)), uint8(200 + rng.IntN(40)), uint8(200 + rng.IntN(40)), 255}
	wall := color.RGBA{uint8(120 + rng.IntN(80)), uint8(110 + rng.IntN(80)), uint8(100 + rng.IntN(80)), 255}
	digitH := 150 + rng.IntN(80)
	label := strings.ToUpper(pr.Kind)
	sc.plate = []string{"Brightline", "Model " + pr.ID, "230V~ 50Hz 2100W", fmt.Sprintf("S/N %08d", rng.IntN(1e8))}
	sc.draw = func(img *image.RGBA, t float64, dx, dy int) {
		fill(img, img.Rect, wall)
		fill(img, image.Rect(140+dx, 120+dy, 1140+dx, 620+dy), panel)
		win := image.Rect(330+dx, 190+dy, 950+dx, 230+digitH+dy)
		fill(img, win, window)
		on := !blinkCode || math.Mod(t, 1) < 0.6
		c := color.Color(segColor)
		if !on {
			c = ghost
		}
		if dots {
			x0 := win.Min.X + (win.Dx()-(6*len(fault.Code)-1)*dotPitch)/2
			g := ghost
			DrawDotMatrix(img, fault.Code, x0, win.Min.Y+20+(digitH-7*dotPitch)/2, dotPitch, sc.truth.DisplayKind == "dotmatrix", c.(color.RGBA), &g)
		} else {
			w := digitH/2 + digitH/4
			x0 := win.Min.X + (win.Dx()-(len(fault.Code)*w-digitH/4))/2
			DrawSevenSeg(img, fault.Code, x0, win.Min.Y+20, digitH, c, ghost)
		}
		for _, l := range pr.Lights {
			st := lights[l.Name]
			lx := 140 + dx + int(l.X*1000)
			col := lightColors[st.Color]
			if lit := lightOn(st.Pattern, t); !lit || st.Color == "off" {
				col = lightColors["off"]
			}
			disc(img, lx, 560+dy, 14, col)
			text(img, l.Label, lx-40, 600+dy, 18, color.RGBA{60, 60, 60, 255})
		}
		text(img, label, 160+dx, 170+dy, 30, color.RGBA{60, 60, 60, 255})
	}
	return sc
}

// lightStates returns the state of each of the product's lights under the fault, a light the fault
// does not name being steady in the colour idle gives it, and the truth lines ("dsl red blinking")
// in the product's order.
func lightStates(fault kb.Fault, pr kb.Product, idle func(name string) string) (map[string]kb.LightState, []string) {
	lights := map[string]kb.LightState{}
	for _, l := range fault.Lights {
		lights[l.Light] = l
	}
	var truth []string
	for _, l := range pr.Lights {
		st, ok := lights[l.Name]
		if !ok {
			st = kb.LightState{Light: l.Name, Color: idle(l.Name), Pattern: "steady"}
		}
		lights[l.Name] = st
		truth = append(truth, strings.Join([]string{st.Light, st.Color, st.Pattern}, " "))
	}
	return lights, truth
}

func routerScene(p *kb.Pack, i int, rng *rand.Rand) *scene {
	fault := p.Faults[i%len(p.Faults)]
	pr := p.Products[rng.IntN(len(p.Products))]
	sc := &scene{truth: Truth{Pack: p.Name, Model: pr.ID, Kind: pr.Kind, Code: fault.Code, Narration: routerSays[rng.IntN(len(routerSays))]}}
	lights, truth := lightStates(fault, pr, func(string) string {
		if fault.Code == "NO-POWER" {
			return "off"
		}
		return "green"
	})
	sc.truth.Lights = truth
	sc.plate = []string{"Northwind", "Model " + pr.ID, "12V 1.5A", fmt.Sprintf("S/N %08d", rng.IntN(1e8))}
	wall := color.RGBA{uint8(150 + rng.IntN(60)), uint8(150 + rng.IntN(60)), uint8(150 + rng.IntN(60)), 255}
	sc.draw = func(img *image.RGBA, t float64, dx, dy int) {
		fill(img, img.Rect, wall)
		fill(img, image.Rect(240+dx, 260+dy, 1040+dx, 460+dy), color.RGBA{235, 235, 238, 255})
		for _, l := range pr.Lights {
			st := lights[l.Name]
			lx := 240 + dx + int(l.X*800)
			col := lightColors[st.Color]
			if !lightOn(st.Pattern, t) || st.Color == "off" {
				col = color.RGBA{70, 70, 72, 255}
			}
			disc(img, lx, 340+dy, 16, col)
			text(img, l.Label, lx-30, 400+dy, 22, color.RGBA{50, 50, 50, 255})
		}
		text(img, "northwind", 270+dx, 300+dy, 24, color.RGBA{80, 80, 90, 255})
	}
	return sc
}

func lightOn(pattern string, t float64) bool {
	switch pattern {
	case "blinking":
		return math.Mod(t, 1) < 0.5
	case "fast":
		return math.Mod(t, 0.4) < 0.2
	}
	return true
}

// spoken writes a code the way a customer says it: "E 21".
func spoken(code string) string {
	if len(code) > 1 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= '0' && code[1] <= '9' {
		return code[:1] + " " + strings.TrimLeft(code[1:], "0")
	}
	return code
}

func soundFor(f kb.Fault, rng *rand.Rand) string {
	for _, c := range f.FaultCauses()[:1] {
		if len(c.Sounds) > 0 && rng.IntN(2) == 0 {
			return c.Sounds[0]
		}
	}
	return ""
}

// write renders the frames, synthesises the narration and the sound effect, and muxes them.
func (sc *scene) write(ctx context.Context, path string, rng *rand.Rand) error {
	tmp, err := os.MkdirTemp("", "faultgen-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	speech := filepath.Join(tmp, "speech.wav")
	if err := speak(ctx, sc.truth.Voice, sc.truth.Narration, speech); err != nil {
		return err
	}
	effect := filepath.Join(tmp, "effect.wav")
	if err := os.WriteFile(effect, soundEffect(sc.truth.Sound, sc.truth.Seconds, rng), 0o644); err != nil {
		return err
	}
	vf := []string{}
	if sc.blur > 0 {
		vf = append(vf, fmt.Sprintf("boxblur=%d:1", sc.blur))
	}
	if sc.noise > 0 {
		vf = append(vf, fmt.Sprintf("noise=alls=%d:allf=t", sc.noise))
	}
	vf = append(vf, "format=yuv420p")
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", Width, Height), "-r", fmt.Sprint(FPS), "-i", "pipe:0",
		"-i", speech, "-i", effect,
		"-filter_complex", "[1:a]adelay=400|400,apad[s];[s][2:a]amix=inputs=2:duration=shortest:normalize=0[a]",
		"-map", "0:v", "-map", "[a]", "-vf", strings.Join(vf, ","),
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-c:a", "aac", "-b:a", "64k", "-t", fmt.Sprint(sc.truth.Seconds), path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	n := int(sc.truth.Seconds * FPS)
	plateUntil := sc.truth.Seconds * 0.25
	var sx, sy float64
	werr := error(nil)
	for f := 0; f < n && werr == nil; f++ {
		t := float64(f) / FPS
		if sc.shake > 0 {
			sx = 0.8*sx + rng.NormFloat64()*sc.shake*0.5
			sy = 0.8*sy + rng.NormFloat64()*sc.shake*0.5
		}
		if t < plateUntil {
			drawPlate(img, sc.plate, int(sx), int(sy))
		} else {
			sc.draw(img, t, int(sx), int(sy))
		}
		if sc.glareStr > 0 {
			glare(img, sc.glareAt.X+int(sx), sc.glareAt.Y+int(sy), 140, sc.glareStr)
		}
		_, werr = stdin.Write(img.Pix)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, stderr.String())
	}
	return werr
}

// drawPlate draws a rating plate close up.
func drawPlate(img *image.RGBA, lines []string, dx, dy int) {
	fill(img, img.Rect, color.RGBA{150, 150, 155, 255})
	fill(img, image.Rect(240+dx, 140+dy, 1040+dx, 580+dy), color.RGBA{242, 242, 236, 255})
	for i, l := range lines {
		size := 44.0
		if i == 1 {
			size = 64
		}
		text(img, l, 290+dx, 230+dy+i*95, size, color.RGBA{20, 20, 24, 255})
	}
}

func speak(ctx context.Context, voice, say, out string) error {
	prog, v, _ := strings.Cut(voice, ":")
	var cmd *exec.Cmd
	switch prog {
	case "espeak-ng":
		cmd = exec.CommandContext(ctx, "espeak-ng", "-v", v, "-s", "155", "-w", out, say)
	case "flite":
		cmd = exec.CommandContext(ctx, "flite", "-voice", v, "-t", say, "-o", out)
	default:
		return fmt.Errorf("faultgen: unknown voice %q", voice)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", prog, err, b)
	}
	return nil
}

// soundEffect returns a 16 kHz mono WAV of the named machine sound (beeping, grinding, hum) or
// of room tone, lasting secs.
func soundEffect(name string, secs float64, rng *rand.Rand) []byte {
	const rate = 16000
	n := int(secs * rate)
	pcm := make([]int16, n)
	lp := 0.0
	for i := range pcm {
		t := float64(i) / rate
		v := rng.NormFloat64() * 60 // room tone
		switch name {
		case "beeping":
			if math.Mod(t, 0.5) < 0.15 {
				v += 5000 * math.Sin(2*math.Pi*2000*t)
			}
		case "grinding":
			lp = 0.7*lp + 0.3*rng.NormFloat64()
			v += 5000 * lp * (0.6 + 0.4*math.Sin(2*math.Pi*7*t))
		case "hum":
			v += 2500*math.Sin(2*math.Pi*100*t) + 1200*math.Sin(2*math.Pi*200*t)
		}
		pcm[i] = int16(max(-32000, min(32000, v)))
	}
	return wav(pcm, rate)
}

func wav(pcm []int16, rate int) []byte {
	b := make([]byte, 44+2*len(pcm))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(pcm)))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}
