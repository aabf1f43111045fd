// Package magick renders fault videos a second way, sharing no drawing code with faultgen, so that
// the readers are measured on pictures they were not written against: panels drawn by ImageMagick
// from MVG commands (slanted hexagonal segments; round or square dots whose 5x7 shapes are
// rasterised from Debian's DejaVu Sans Mono rather than taken from the reader's font), labels and
// rating plates in Debian's Liberation and DejaVu fonts, a glare spot, then shake, blur, noise and
// compression by ffmpeg's own filters. The narration never names the code, so the pixels decide.
package magick

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/kb"
)

// ErrNoTool is returned when ImageMagick, ffmpeg or espeak-ng is missing.
var ErrNoTool = errors.New("magick: ImageMagick's convert, ffmpeg and espeak-ng are needed")

// convert is Debian's ImageMagick 6 command.
const convert = "/usr/bin/convert"

// Styles are the displays drawn, in turn.
var Styles = []string{"led", "lcd", "dotmatrix", "dotmatrix-lcd"}

// segs are the lit segments of the characters of a seven-segment display.
var segs = map[byte]string{
	'0': "abcdef", '1': "bc", '2': "abdeg", '3': "abcdg", '4': "bcfg", '5': "acdfg", '6': "acdefg", '7': "abc",
	'8': "abcdefg", '9': "abcdfg", 'E': "adefg", 'F': "aefg", 'C': "adef", 'H': "bcefg", 'L': "def", 'P': "abefg", '-': "g",
}

var says = []string{
	"My %s is showing this. Can you help me?",
	"Hello, this came up on the %s and it will not start.",
	"What does this mean? It is my %s.",
}

// Generate writes n videos and truth.jsonl to dir.
func Generate(ctx context.Context, lib *kb.Library, dir string, n int, seed uint64, secs float64, progress func(i, n int)) ([]faultgen.Truth, error) {
	for _, tool := range []string{convert, "ffmpeg", "espeak-ng"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, ErrNoTool
		}
	}
	app, err := lib.Pack("appliances")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x3a61c))
	glyphs := map[byte][7]uint8{}
	var out []faultgen.Truth
	for i := 0; i < n; i++ {
		f := app.Faults[rng.IntN(len(app.Faults))]
		var models []kb.Product
		for _, p := range app.Products {
			if p.Kind == f.Kind {
				models = append(models, p)
			}
		}
		pr := models[rng.IntN(len(models))]
		t := faultgen.Truth{File: fmt.Sprintf("magick-%03d.mp4", i), Pack: app.Name, Model: pr.ID, Kind: pr.Kind,
			Code: f.Code, Display: f.Code, DisplayKind: Styles[i%len(Styles)], Voice: "espeak-ng:en-us", Seconds: secs, Degrade: []string{}}
		t.Narration = fmt.Sprintf(says[rng.IntN(len(says))], map[string]string{"washer": "washing machine", "dishwasher": "dishwasher"}[pr.Kind])
		if err := video(ctx, filepath.Join(dir, t.File), &t, glyphs, rng); err != nil {
			return nil, fmt.Errorf("magick: %s: %w", t.File, err)
		}
		out = append(out, t)
		if progress != nil {
			progress(i+1, n)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, t := range out {
		enc.Encode(t)
	}
	return out, os.WriteFile(filepath.Join(dir, "truth.jsonl"), b.Bytes(), 0o644)
}

// video draws the plate and the panel (code lit and, when it blinks, dark) and films them.
func video(ctx context.Context, path string, t *faultgen.Truth, glyphs map[byte][7]uint8, rng *rand.Rand) error {
	tmp, err := os.MkdirTemp("", "magick-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	plate := filepath.Join(tmp, "plate.png")
	if err := run(ctx, convert, "-size", "1280x720", "xc:#8c8f94", "-fill", "#efeee6", "-draw", "roundrectangle 260,150 1020,570 18,18",
		"-fill", "#1a1a1e", "-font", "Liberation-Sans-Bold", "-pointsize", "46", "-annotate", "+310+240", "Brightline",
		"-font", "DejaVu-Sans-Bold", "-pointsize", "62", "-annotate", "+310+340", "Model "+t.Model,
		"-font", "Liberation-Sans", "-pointsize", "40", "-annotate", "+310+430", "220-240V~ 50Hz",
		"-annotate", "+310+510", fmt.Sprintf("Ser.No. %07d", rng.IntN(1e7)), plate); err != nil {
		return err
	}
	blink := rng.IntN(2) == 0
	var frames []string
	for phase := 0; phase < 2; phase++ {
		mvg, err := panelMVG(ctx, t, phase == 1 && blink, glyphs, rng)
		if err != nil {
			return err
		}
		p := filepath.Join(tmp, fmt.Sprintf("panel%d.png", phase))
		args := []string{"-size", "1280x720", "xc:" + pick(rng, "#b9b2a6", "#9aa3ad", "#c8c2b8", "#7d8590"), "-draw", mvg}
		if gl := rng.Float64(); gl < 0.5 {
			// A lamp's reflection: a white disc blurred soft, laid over the panel.
			x, y := 300+rng.IntN(700), 180+rng.IntN(360)
			args = append(args, "(", "-size", "1280x720", "xc:none", "-fill", fmt.Sprintf("rgba(255,255,255,%.2f)", 0.3+gl*0.6),
				"-draw", fmt.Sprintf("circle %d,%d %d,%d", x, y, x+90, y), "-blur", "0x40", ")", "-composite")
			if phase == 0 {
				t.Degrade = append(t.Degrade, "glare")
			}
		}
		if err := run(ctx, convert, append(args, p)...); err != nil {
			return err
		}
		frames = append(frames, p)
	}
	// The concat list: the plate for a quarter of the video, then the panel, its code blinking at
	// 1 Hz when it blinks.
	var list strings.Builder
	fmt.Fprintf(&list, "file '%s'\nduration %.2f\n", plate, t.Seconds/4)
	for at := t.Seconds / 4; at < t.Seconds; at += 0.5 {
		k := 0
		if blink && int((at-t.Seconds/4)*2)%2 == 1 {
			k = 1
		}
		fmt.Fprintf(&list, "file '%s'\nduration 0.5\n", frames[k])
	}
	fmt.Fprintf(&list, "file '%s'\n", frames[0])
	lp := filepath.Join(tmp, "list.txt")
	if err := os.WriteFile(lp, []byte(list.String()), 0o644); err != nil {
		return err
	}
	speech := filepath.Join(tmp, "n.wav")
	if err := run(ctx, "espeak-ng", "-v", pick(rng, "en-us", "en-gb", "en-us+m3"), "-w", speech, t.Narration); err != nil {
		return err
	}
	shake := 4 + rng.Float64()*12
	sigma := 0.5 + rng.Float64()*1.5
	noise := 4 + rng.IntN(10)
	crf := 24 + rng.IntN(8)
	t.Degrade = append(t.Degrade, fmt.Sprintf("shake %.0f px", shake), fmt.Sprintf("gblur %.1f", sigma), fmt.Sprintf("noise %d", noise), fmt.Sprintf("crf %d", crf))
	m := int(math.Ceil(shake)) + 2
	vf := fmt.Sprintf("fps=15,pad=iw+%[1]d:ih+%[1]d:%[2]d:%[2]d:color=gray,"+
		"crop=1280:720:'%[2]d+%.1[3]f*sin(2*PI*t*1.7)+%.1[3]f*0.5*sin(2*PI*t*4.3)':'%[2]d+%.1[3]f*cos(2*PI*t*1.3)',"+
		"gblur=sigma=%.2[4]f,noise=alls=%[5]d:allf=t,format=yuv420p", 2*m, m, shake*0.6, sigma, noise)
	return run(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", lp, "-i", speech,
		"-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", fmt.Sprint(crf), "-c:a", "aac", "-af", "adelay=300|300,apad",
		"-t", fmt.Sprint(t.Seconds), path)
}

// panelMVG returns the MVG drawing of the appliance panel: its front, the display window with the
// code (dark when off), two indicator lights and a label.
func panelMVG(ctx context.Context, t *faultgen.Truth, off bool, glyphs map[byte][7]uint8, rng *rand.Rand) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "fill '#e4e2dc' roundrectangle 120,110 1160,630 24,24\n")
	lcd := strings.HasSuffix(t.DisplayKind, "lcd")
	window, ink, unlit := "#161618", pick(rng, "#ff3b2f", "#33e070", "#ffb020", "#49c4ff"), "#2a1d1c"
	if lcd {
		window, ink, unlit = pick(rng, "#a9b895", "#b4b8ac", "#9fb48c"), "#2b302c", "#9dac8a"
	}
	fmt.Fprintf(&b, "fill '%s' rectangle 300,170 980,430\n", window)
	if off {
		ink = unlit
	}
	code := t.Code
	if strings.HasPrefix(t.DisplayKind, "dotmatrix") {
		pitch := 16 + rng.IntN(10)
		x0 := 640 - (6*len(code)-1)*pitch/2
		y0 := 300 - 7*pitch/2
		for i := 0; i < len(code); i++ {
			g, err := glyph(ctx, code[i], glyphs)
			if err != nil {
				return "", err
			}
			for r := 0; r < 7; r++ {
				for c := 0; c < 5; c++ {
					x, y := x0+(6*i+c)*pitch, y0+r*pitch
					col := unlit
					if g[r]&(1<<(4-c)) != 0 {
						col = ink
					}
					if lcd {
						fmt.Fprintf(&b, "fill '%s' rectangle %d,%d %d,%d\n", col, x, y, x+pitch*8/10, y+pitch*8/10)
					} else {
						fmt.Fprintf(&b, "fill '%s' circle %d,%d %d,%d\n", col, x+pitch/2, y+pitch/2, x+pitch/2+pitch*7/20, y+pitch/2)
					}
				}
			}
		}
	} else {
		h := 150 + rng.IntN(70)
		w := h * 55 / 100
		th := float64(h) / 8
		skew := 0.08 + rng.Float64()*0.1 // segments lean right, as most LED digits do
		x0 := 640 - (len(code)*(w+h/4)-h/4)/2
		y0 := 300 - h/2
		for i := 0; i < len(code); i++ {
			for _, s := range "abcdefg" {
				col := unlit
				if strings.ContainsRune(segs[code[i]], s) {
					col = ink
				}
				fmt.Fprintf(&b, "fill '%s' polygon %s\n", col, segment(s, float64(x0+i*(w+h/4)), float64(y0), float64(w), float64(h), th, skew))
			}
		}
	}
	for k, lx := range []int{220, 1060} {
		col := "#555555"
		if k == 1 {
			col = "#39d85a"
		}
		fmt.Fprintf(&b, "fill '%s' circle %d,560 %d,560\n", col, lx, lx+13)
	}
	fmt.Fprintf(&b, "fill '#444444' font 'DejaVu-Sans' font-size 30 text 150,170 '%s'\n", strings.ToUpper(t.Kind))
	return b.String(), nil
}

// segment returns the hexagon of one segment of a digit cell at (x, y) of size w x h with bars
// th thick, leaning by skew (x shift per unit of height).
func segment(s rune, x, y, w, h, th, skew float64) string {
	var pts [][2]float64
	hb := th / 2
	horiz := func(cy float64) [][2]float64 {
		return [][2]float64{{x + hb, cy}, {x + th, cy - hb}, {x + w - th, cy - hb}, {x + w - hb, cy}, {x + w - th, cy + hb}, {x + th, cy + hb}}
	}
	vert := func(cx, y0, y1 float64) [][2]float64 {
		return [][2]float64{{cx, y0 + hb}, {cx + hb, y0 + th}, {cx + hb, y1 - th}, {cx, y1 - hb}, {cx - hb, y1 - th}, {cx - hb, y0 + th}}
	}
	switch s {
	case 'a':
		pts = horiz(y + hb)
	case 'g':
		pts = horiz(y + h/2)
	case 'd':
		pts = horiz(y + h - hb)
	case 'b':
		pts = vert(x+w-hb, y, y+h/2)
	case 'c':
		pts = vert(x+w-hb, y+h/2, y+h)
	case 'e':
		pts = vert(x+hb, y+h/2, y+h)
	case 'f':
		pts = vert(x+hb, y, y+h/2)
	}
	var out []string
	for _, p := range pts {
		out = append(out, fmt.Sprintf("%.1f,%.1f", p[0]+skew*(y+h-p[1]), p[1]))
	}
	return strings.Join(out, " ")
}

// glyph rasterises a character of DejaVu Sans Mono to a 5x7 grid of dots: another maker's font than
// the reader's.
func glyph(ctx context.Context, c byte, cache map[byte][7]uint8) ([7]uint8, error) {
	if g, ok := cache[c]; ok {
		return g, nil
	}
	var g [7]uint8
	out, err := exec.CommandContext(ctx, convert, "-background", "white", "-fill", "black", "-font", "DejaVu-Sans-Mono",
		"-pointsize", "140", "label:"+string(c), "-trim", "+repage", "-resize", "5x7!", "-colorspace", "gray", "png:-").Output()
	if err != nil {
		return g, fmt.Errorf("convert: %w", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		return g, err
	}
	bd := img.Bounds()
	for r := 0; r < 7; r++ {
		for col := 0; col < 5; col++ {
			y, _, _, _ := img.At(bd.Min.X+col, bd.Min.Y+r).RGBA()
			if y < 0x8000 {
				g[r] |= 1 << (4 - col)
			}
		}
	}
	cache[c] = g
	return g, nil
}

func pick(rng *rand.Rand, s ...string) string { return s[rng.IntN(len(s))] }

func run(ctx context.Context, name string, args ...string) error {
	if b, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(name), err, b)
	}
	return nil
}
