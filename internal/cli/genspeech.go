package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parleyhq/parley/media"
)

func init() {
	Register(&Command{
		Name:    "gen speech",
		Summary: "synthesise spoken customer phrases (espeak-ng, flite; clean and noisy) for eval speech",
		Run:     runGenSpeech,
	})
}

// speechCase is one spoken phrase with what the dialogue expects when it is said.
type speechCase struct {
	Pack string `json:"pack"`
	Type string `json:"type"` // the expectation type: amount, yesno, digits, date, choice, text ("" = open)
	Text string `json:"text"`
	// Choices are the menu entries offered when Type is choice.
	Choices []string `json:"choices,omitempty"`
}

// speechCases are representative customer phrases of the three demo packs. They are the
// evaluation split: no open sentence among them is in the language-model corpus (the packs' intent
// examples and the recogniser's base phrases), which TestSpeechCasesHeldOut checks and gen speech
// reports. Typed answers (yes/no, menu choices, dates) are closed sets the grammars enumerate.
var speechCases = []speechCase{
	{Pack: "bank", Type: "", Text: "I would like to put a check into my account"},
	{Pack: "bank", Type: "", Text: "I would like to deposit a check into my savings account"},
	{Pack: "bank", Type: "", Text: "what is my account balance"},
	{Pack: "bank", Type: "", Text: "I think I lost my debit card yesterday"},
	{Pack: "bank", Type: "", Text: "someone stole my card please block it"},
	{Pack: "bank", Type: "", Text: "I need to transfer money to my checking account"},
	{Pack: "bank", Type: "amount", Text: "twelve hundred fifty dollars and seventy five cents"},
	{Pack: "bank", Type: "amount", Text: "four hundred dollars"},
	{Pack: "bank", Type: "amount", Text: "twelve fifty seventy five"},
	{Pack: "bank", Type: "amount", Text: "three thousand two hundred dollars and ten cents"},
	{Pack: "bank", Type: "amount", Text: "eighty five dollars"},
	{Pack: "bank", Type: "yesno", Text: "yes"},
	{Pack: "bank", Type: "yesno", Text: "no"},
	{Pack: "bank", Type: "yesno", Text: "yes that's correct"},
	{Pack: "bank", Type: "yesno", Text: "no that's wrong"},
	{Pack: "bank", Type: "digits", Text: "four five one two"},
	{Pack: "bank", Type: "digits", Text: "one two three four five six seven eight"},
	{Pack: "bank", Type: "choice", Text: "savings", Choices: []string{"checking", "savings"}},
	{Pack: "telecom", Type: "", Text: "my internet has been down since this morning"},
	{Pack: "telecom", Type: "", Text: "the internet keeps dropping every few minutes"},
	{Pack: "telecom", Type: "", Text: "I have a question about this month's bill"},
	{Pack: "telecom", Type: "", Text: "why is my bill so high this month"},
	{Pack: "telecom", Type: "", Text: "I would like to change to a different plan"},
	{Pack: "telecom", Type: "", Text: "can I switch to a cheaper plan"},
	{Pack: "telecom", Type: "yesno", Text: "yes I restarted the router"},
	{Pack: "telecom", Type: "yesno", Text: "no"},
	{Pack: "telecom", Type: "date", Text: "last friday"},
	{Pack: "appliances", Type: "", Text: "my washer will not drain the water"},
	{Pack: "appliances", Type: "", Text: "the dishwasher stopped draining last night"},
	{Pack: "appliances", Type: "", Text: "my dishwasher shows error E21"},
	{Pack: "appliances", Type: "", Text: "the washing machine shows E15"},
	{Pack: "appliances", Type: "", Text: "water is leaking under the dishwasher"},
	{Pack: "appliances", Type: "", Text: "I need a new drain pump"},
	{Pack: "appliances", Type: "yesno", Text: "yes I checked the filter"},
	{Pack: "appliances", Type: "yesno", Text: "no it is still not working"},
	{Pack: "appliances", Type: "digits", Text: "five zero zero"},
}

// speechVoice is a synthetic speaker.
type speechVoice struct {
	Name string
	args func(text, out string) (string, []string)
}

var speechVoices = []speechVoice{
	{"espeak-us", func(text, out string) (string, []string) {
		return "espeak-ng", []string{"-v", "en-us", "-s", "160", "-w", out, text}
	}},
	{"espeak-f3", func(text, out string) (string, []string) {
		return "espeak-ng", []string{"-v", "en-us+f3", "-s", "150", "-w", out, text}
	}},
	fliteVoice("kal"), fliteVoice("kal16"), fliteVoice("slt"), fliteVoice("rms"), fliteVoice("awb"),
	festivalVoice("slt-hts", "voice_cmu_us_slt_arctic_hts"), festivalVoice("kal", "voice_kal_diphone"),
}

// fliteVoice is one of the voices Debian's flite ships (cmu_us_kal, kal16, slt, rms, awb).
func fliteVoice(name string) speechVoice {
	return speechVoice{"flite-" + name, func(text, out string) (string, []string) {
		return "flite", []string{"-voice", name, "-t", text, "-o", out}
	}}
}

// festivalVoice is a festival voice through text2wave; it is skipped where festival or the voice
// is not installed.
func festivalVoice(name, fn string) speechVoice {
	return speechVoice{"festival-" + name, func(text, out string) (string, []string) {
		return "text2wave", []string{"-eval", "(" + fn + ")", "-o", out, "-"}
	}}
}

// speechTruth is one line of truth.jsonl.
type speechTruth struct {
	File  string  `json:"file"`
	Text  string  `json:"text"`
	Pack  string  `json:"pack"`
	Type  string  `json:"type"`
	Voice string  `json:"voice"`
	Noise string  `json:"noise"` // clean, white, babble
	SNR   float64 `json:"snr_db,omitempty"`
	// Choices are the menu entries offered when Type is choice.
	Choices []string `json:"choices,omitempty"`
}

func runGenSpeech(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("gen speech", out)
	dir := fs.String("out", "", "directory to write WAV files and truth.jsonl into")
	snr := fs.Float64("snr", 10, "signal-to-noise ratio of the noisy copies, in dB")
	seed := fs.Uint64("seed", 1, "random seed of the noise")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("%w: --out DIR is required", ErrUsage)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "parley-genspeech-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := rand.New(rand.NewPCG(*seed, 7))
	type clip struct {
		c     speechCase
		voice string
		pcm   media.PCM
	}
	var clips []clip
	for _, v := range speechVoices {
		for i, c := range speechCases {
			if err := ctx.Err(); err != nil {
				return err
			}
			path := filepath.Join(tmp, fmt.Sprintf("%s-%d.wav", v.Name, i))
			bin, a := v.args(c.Text, path)
			if _, err := exec.LookPath(bin); err != nil {
				fmt.Fprintf(out, "skipping voice %s: %s is not installed\n", v.Name, bin)
				break
			}
			cmd := exec.CommandContext(ctx, bin, a...)
			if a[len(a)-1] == "-" {
				cmd.Stdin = strings.NewReader(c.Text)
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				if bin == "text2wave" {
					fmt.Fprintf(out, "skipping voice %s: %v\n", v.Name, strings.TrimSpace(string(b)))
					break
				}
				return fmt.Errorf("%s: %v: %s", bin, err, b)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			pcm, err := media.DecodeAudio(ctx, data, media.DefaultLimits())
			if err != nil {
				return fmt.Errorf("%s %q: %w", v.Name, c.Text, err)
			}
			clips = append(clips, clip{c, v.Name, pcm})
		}
	}
	if len(clips) == 0 {
		return fmt.Errorf("no synthesiser installed (espeak-ng or flite)")
	}
	f, err := os.Create(filepath.Join(*dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	n := 0
	for i, cl := range clips {
		base := fmt.Sprintf("%03d-%s-%s", i, cl.c.Pack, cl.voice)
		// Babble: three other clips talking at once.
		babble := make([]float64, len(cl.pcm.Samples))
		for k := 0; k < 3; k++ {
			o := clips[(i+7*(k+1))%len(clips)].pcm.Samples
			off := r.IntN(len(o))
			for j := range babble {
				babble[j] += float64(o[(j+off)%len(o)])
			}
		}
		white := make([]float64, len(cl.pcm.Samples))
		for j := range white {
			white[j] = r.NormFloat64()
		}
		for _, cond := range []struct {
			name  string
			noise []float64
		}{{"clean", nil}, {"white", white}, {"babble", babble}} {
			pcm := cl.pcm
			t := speechTruth{Text: cl.c.Text, Pack: cl.c.Pack, Type: cl.c.Type, Choices: cl.c.Choices, Voice: cl.voice, Noise: cond.name}
			if cond.noise != nil {
				pcm = MixNoise(pcm, cond.noise, *snr)
				t.SNR = *snr
			}
			t.File = base + "-" + cond.name + ".wav"
			if err := os.WriteFile(filepath.Join(*dir, t.File), media.EncodeWAV(pcm), 0o644); err != nil {
				return err
			}
			if err := enc.Encode(t); err != nil {
				return err
			}
			n++
		}
	}
	voices := map[string]bool{}
	for _, c := range clips {
		voices[c.voice] = true
	}
	names := make([]string, 0, len(voices))
	for v := range voices {
		names = append(names, v)
	}
	sort.Strings(names)
	open := 0
	for _, c := range speechCases {
		if c.Type == "" || c.Type == "text" {
			open++
		}
	}
	fmt.Fprintf(out, "wrote %d files (%d phrases, voices %s; clean, white and babble noise at %.0f dB SNR) and truth.jsonl to %s\n",
		n, len(speechCases), strings.Join(names, ", "), *snr, *dir)
	fmt.Fprintf(out, "split: evaluation sentences, held out of the language model (none of the %d open sentences is in its corpus; "+
		"the %d typed answers are closed sets the grammars enumerate)\n", open, len(speechCases)-open)
	return nil
}

// MixNoise adds noise to speech at the given signal-to-noise ratio, measured over the speech's
// loud frames so leading and trailing silence do not flatter it.
func MixNoise(p media.PCM, noise []float64, snrDB float64) media.PCM {
	ps := activePower(p.Samples)
	var pn float64
	for _, v := range noise {
		pn += v * v
	}
	pn /= float64(max(1, len(noise)))
	if pn == 0 || ps == 0 {
		return p
	}
	g := math.Sqrt(ps / pn / math.Pow(10, snrDB/10))
	out := make([]int16, len(p.Samples))
	for i, s := range p.Samples {
		v := float64(s)
		if i < len(noise) {
			v += g * noise[i]
		}
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return media.PCM{Samples: out, Rate: p.Rate}
}

// activePower is the mean power of the 20 ms frames within 30 dB of the loudest.
func activePower(s []int16) float64 {
	const n = 320
	var frames []float64
	var peak float64
	for i := 0; i+n <= len(s); i += n {
		var e float64
		for _, v := range s[i : i+n] {
			e += float64(v) * float64(v)
		}
		e /= n
		frames = append(frames, e)
		peak = max(peak, e)
	}
	var sum float64
	var k int
	for _, e := range frames {
		if e > peak/1000 {
			sum += e
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return sum / float64(k)
}
