package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/asr"
	"github.com/parleyhq/parley/speech"
)

func init() {
	Register(&Command{
		Name: "eval speech",
		Summary: "measure speech recognition on any folder with a truth.jsonl (WER per noise, sample rate, voice and expectation, " +
			"against stock pocketsphinx; RTF, latency) and TTS time",
		Run: runEvalSpeech,
	})
}

type werTally struct {
	errs, words, utts, exact int
	// stockErrs counts the stock general model's errors on the stockUtts utterances it decoded,
	// oursOnStock ours on the same utterances, of stockWords words.
	stockErrs, stockUtts, oursOnStock, stockWords int
}

func (w *werTally) add(errs, words int) {
	w.errs += errs
	w.words += words
	w.utts++
	if errs == 0 {
		w.exact++
	}
}

func (w werTally) String() string {
	if w.words == 0 {
		return "-"
	}
	s := fmt.Sprintf("WER %5.1f%%  sentences %5.1f%% right  (%d utterances)",
		100*float64(w.errs)/float64(w.words), 100*float64(w.exact)/float64(w.utts), w.utts)
	switch {
	case w.stockUtts == w.utts:
		s += fmt.Sprintf("  | stock pocketsphinx WER %5.1f%%", 100*float64(w.stockErrs)/float64(w.words))
	case w.stockUtts > 0 && w.stockWords > 0:
		s += fmt.Sprintf("  | on %d of them: stock pocketsphinx WER %5.1f%%, ours %5.1f%%", w.stockUtts,
			100*float64(w.stockErrs)/float64(w.stockWords), 100*float64(w.oursOnStock)/float64(w.stockWords))
	}
	return s
}

// noiseMix is a noise condition made at evaluation time from the folder's own recordings.
type noiseMix struct {
	kind string // babble or white
	snr  float64
}

func (m noiseMix) String() string { return fmt.Sprintf("%s %gdB", m.kind, m.snr) }

// parseMixes reads "babble:10,white:5" into noise conditions.
func parseMixes(s string) ([]noiseMix, error) {
	var out []noiseMix
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		kind, db, ok := strings.Cut(part, ":")
		snr, err := strconv.ParseFloat(db, 64)
		if !ok || err != nil || (kind != "babble" && kind != "white") || !(snr >= -20 && snr <= 60) {
			return nil, fmt.Errorf("%w: --mix takes babble:DB or white:DB, comma separated, not %q", ErrUsage, part)
		}
		out = append(out, noiseMix{kind, snr})
	}
	return out, nil
}

// evalItem is one utterance of the folder, decoded.
type evalItem struct {
	t    speechTruth
	pcm  media.PCM
	rate int // the file's own sample rate (0 when it is not WAV)
}

func runEvalSpeech(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval speech", out)
	verbose := fs.Bool("v", false, "print every utterance that was not recognised exactly")
	every := fs.Int("every", 1, "evaluate every Nth utterance of each voice and expectation only (a quicker sample)")
	limit := fs.Int("limit", 0, "evaluate at most this many utterances of each voice and expectation (0: all)")
	noise := fs.String("noise", "", "evaluate only this noise condition of the folder (clean, white, babble)")
	mix := fs.String("mix", "", "also evaluate copies mixed with noise made from the folder itself, e.g. babble:10,white:10,babble:5,white:5 "+
		"(babble: four other recordings of the folder at once; white: broadband noise in the recording's own band)")
	stock := fs.Bool("stock", true, "decode the same audio with pocketsphinx's stock general model as the comparison line")
	stockLimit := fs.Int("stock-limit", 150, "run the stock model on at most this many utterances of each voice and expectation, evenly spread (0: all)")
	general := fs.Float64("general-weight", 0, "the general English model's share of the open search's language model (0: the default; negative: domain model only)")
	noDenoise := fs.Bool("no-denoise", false, "turn off the recogniser's spectral-subtraction front end (to measure it)")
	psArgs := fs.String("decoder-args", "", "extra pocketsphinx settings, e.g. \"-fwdflat no\"")
	endSilence := fs.Duration("end-silence", 600*time.Millisecond, "live endpointing delay added to the end-to-end latency estimate")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval speech DIR (any folder with a truth.jsonl, e.g. made by parley gen speech --out DIR)", ErrUsage)
	}
	mixes, err := parseMixes(*mix)
	if err != nil {
		return err
	}
	dir := pos[0]
	truth, err := readSpeechTruth(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	truth = sampleTruth(truth, *every, *limit, *noise)
	if len(truth) == 0 {
		return fmt.Errorf("no utterances left to evaluate in %s", dir)
	}
	var src perception.PackSource
	if lib, err := kb.Load(packs.FS); err == nil {
		src = lib
	} else {
		fmt.Fprintf(out, "knowledge packs not loaded (%v); using the built-in domain phrases\n", err)
	}
	t0 := time.Now()
	rec, err := asr.New(asr.Config{Packs: src, Decoders: 1, DecoderArgs: strings.Fields(*psArgs), GeneralWeight: *general, NoDenoise: *noDenoise})
	if err != nil {
		return err
	}
	defer rec.Close(context.Background())
	fmt.Fprintf(out, "recogniser loaded in %s\n", time.Since(t0).Round(time.Millisecond))
	var base *asr.Stock
	if *stock {
		if base, err = asr.NewStock(""); err != nil {
			fmt.Fprintf(out, "stock comparison not run: %v\n", err)
		} else {
			defer base.Close()
		}
	}

	items := make([]evalItem, 0, len(truth))
	for _, t := range truth {
		data, err := os.ReadFile(filepath.Join(dir, t.File))
		if err != nil {
			return err
		}
		pcm, err := media.DecodeAudio(ctx, data, media.DefaultLimits())
		if err != nil {
			return fmt.Errorf("%s: %w", t.File, err)
		}
		it := evalItem{t: t, pcm: pcm}
		if media.IsWAV(data) {
			if w, err := media.DecodeWAV(data, media.DefaultLimits().MaxAudio); err == nil {
				it.rate = w.Rate
			}
		}
		items = append(items, it)
	}

	// The stock decoder is several times slower than ours; on a large group it runs on an even
	// sample, and the tallies compare both on that sample.
	groupSize := map[string]int{}
	for _, it := range items {
		groupSize[it.t.Voice+"\x00"+it.t.Type]++
	}
	tallies := map[string]map[string]*werTally{}
	tally := func(group, key string) *werTally {
		if tallies[group] == nil {
			tallies[group] = map[string]*werTally{}
		}
		if tallies[group][key] == nil {
			tallies[group][key] = &werTally{}
		}
		return tallies[group][key]
	}
	var audio, decode, cpu, stockDecode, stockAudio time.Duration
	var lat []time.Duration
	var conds []string
	warm := false
	r := rand.New(rand.NewPCG(1, 8))
	for _, m := range append([]noiseMix{{}}, mixes...) {
		seen := map[string]int{}
		for i, it := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			t, pcm := it.t, it.pcm
			cond := t.Noise
			if m.kind != "" {
				if t.Noise != "" && t.Noise != "clean" {
					continue
				}
				pcm = MixNoise(pcm, makeNoise(r, m.kind, items, i), m.snr)
				cond = m.String()
			}
			if cond == "" {
				cond = "clean"
			}
			if tallies["noise"][cond] == nil {
				conds = append(conds, cond)
			}
			e := perception.Expectation{Pack: t.Pack, Type: t.Type, Choices: t.Choices}
			if !warm {
				// The first call per pack builds the language model; time the steady state.
				rec.Recognize(ctx, pcm, e)
				warm = true
			}
			start, cpu0 := time.Now(), cpuTime()
			res, err := rec.Recognize(ctx, pcm, e)
			d := time.Since(start)
			cpu += cpuTime() - cpu0
			if err != nil && err != asr.ErrNoSpeech {
				return fmt.Errorf("%s: %w", t.File, err)
			}
			decode += d
			audio += pcm.Duration()
			lat = append(lat, d)
			errs, words := asr.WER(t.Text, res.Text)
			stockErrs, stockText := -1, ""
			g := it.t.Voice + "\x00" + it.t.Type
			n := seen[g]
			seen[g]++
			stride := 1
			if *stockLimit > 0 {
				stride = (groupSize[g] + *stockLimit - 1) / *stockLimit
			}
			if base != nil && n%stride == 0 {
				s0 := time.Now()
				stockText, err = base.Recognize(pcm)
				stockDecode += time.Since(s0)
				stockAudio += pcm.Duration()
				if err != nil {
					return fmt.Errorf("%s: stock decoder: %w", t.File, err)
				}
				stockErrs, _ = asr.WER(t.Text, stockText)
			}
			rate := "other"
			if it.rate > 0 {
				rate = fmt.Sprintf("%d Hz", it.rate)
			}
			for _, k := range [][2]string{
				{"noise", cond}, {"rate", rate + " " + cond}, {"voice", t.Voice + " " + cond},
				{"engine", engineName(t.Voice) + " " + cond}, {"expectation", typeName(t.Type) + " " + cond},
			} {
				w := tally(k[0], k[1])
				w.add(errs, words)
				if stockErrs >= 0 {
					w.stockErrs += stockErrs
					w.stockUtts++
					w.oursOnStock += errs
					w.stockWords += words
				}
			}
			if *verbose && errs > 0 {
				var alts []string
				for _, a := range res.Alts[:min(3, len(res.Alts))] {
					alts = append(alts, fmt.Sprintf("%q %.2f", a.Value, a.Confidence))
				}
				fmt.Fprintf(out, "  %-40s %-7s %-12s want %q got %q (%s, conf %.2f; alts %s) stock %q\n", t.File, t.Type, cond,
					asr.Spoken(t.Text), res.Text, res.Search, res.Confidence, strings.Join(alts, ", "), stockText)
			}
		}
	}
	fmt.Fprintf(out, "\n%d utterances, %.1f s of audio (expectation: the truth's type; open = no expectation)\n\nby noise:\n",
		len(lat), audio.Seconds())
	printTalliesOrdered(out, tallies["noise"], conds)
	for _, g := range []struct{ name, title string }{
		{"rate", "by sample rate of the file"}, {"voice", "by voice"}, {"engine", "by engine"}, {"expectation", "by expectation"},
	} {
		if g.name == "engine" && sameKeys(tallies["engine"], tallies["voice"]) {
			continue
		}
		fmt.Fprintf(out, "\n%s:\n", g.title)
		printTallies(out, tallies[g.name])
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
	fmt.Fprintf(out, "\nrecognition: RTF %.3f wall, %.3f CPU (one decoder; wall time counts waiting for a shared CPU)\n",
		decode.Seconds()/audio.Seconds(), cpu.Seconds()/audio.Seconds())
	if base != nil && stockAudio > 0 {
		fmt.Fprintf(out, "stock pocketsphinx (en-us.lm.bin, full dictionary): RTF %.3f wall on %.1f s of the audio\n",
			stockDecode.Seconds()/stockAudio.Seconds(), stockAudio.Seconds())
	}
	fmt.Fprintf(out, "latency, end of utterance to transcript: p50 %s  p95 %s\n", p50.Round(time.Millisecond), p95.Round(time.Millisecond))
	return reportTTS(ctx, out, p50, *endSilence)
}

// sampleTruth keeps every Nth utterance and at most limit utterances of each voice and
// expectation, and only the given noise condition when one is named.
func sampleTruth(truth []speechTruth, every, limit int, noise string) []speechTruth {
	seen := map[string]int{}
	var out []speechTruth
	for _, t := range truth {
		if noise != "" && t.Noise != noise {
			continue
		}
		k := t.Voice + "\x00" + t.Type
		n := seen[k]
		seen[k]++
		if (every > 1 && n%every != 0) || (limit > 0 && n/max(1, every) >= limit) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// makeNoise returns noise for items[i]: babble is four other recordings of the folder talking at
// once (other voices where the folder has them), white is Gaussian noise limited to the band the
// recording was made in, so telephone audio stays telephone audio.
func makeNoise(r *rand.Rand, kind string, items []evalItem, i int) []float64 {
	n := len(items[i].pcm.Samples)
	out := make([]float64, n)
	if kind == "white" {
		if rate := items[i].rate; rate > 0 && rate < media.SpeechRate {
			narrow := make([]float32, n*rate/media.SpeechRate+1)
			for j := range narrow {
				narrow[j] = float32(max(-1, min(1, 0.1*r.NormFloat64())))
			}
			for j, v := range media.Resample(narrow, rate, media.SpeechRate) {
				if j < n {
					out[j] = float64(v)
				}
			}
			return out
		}
		for j := range out {
			out[j] = r.NormFloat64()
		}
		return out
	}
	var others []int
	for tries := 0; len(others) < 4 && tries < 64; tries++ {
		k := r.IntN(len(items))
		if k == i || items[k].t.Text == items[i].t.Text || len(items[k].pcm.Samples) == 0 {
			continue
		}
		others = append(others, k)
	}
	for _, k := range others {
		o := items[k].pcm.Samples
		// Each voice at about the same loudness, so no one talker stands out of the babble.
		g := 1 / max(1, rms(o))
		off := r.IntN(len(o))
		for j := range out {
			out[j] += g * float64(o[(j+off)%len(o)])
		}
	}
	return out
}

func rms(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(e / float64(len(s)))
}

// reportTTS times the speech synthesiser on typical replies and prints the end-to-end estimate.
func reportTTS(ctx context.Context, out io.Writer, p50, endSilence time.Duration) error {
	tts, err := speech.NewEspeak()
	if err != nil {
		fmt.Fprintf(out, "text to speech: %v\n", err)
		return nil
	}
	replies := []string{
		"I can help you deposit a check. Please take a photo of the front of the check.",
		"Thanks. I read twelve hundred fifty dollars and seventy five cents. Is that right?",
		"Let's get your internet back. First, unplug the router for thirty seconds. Then plug it back in.",
		"Error E21 means the dishwasher cannot drain. Check the filter at the bottom of the tub.",
	}
	var ttsLat []time.Duration
	var spoken time.Duration
	for i := 0; i < 3; i++ {
		for _, text := range replies {
			start := time.Now()
			wav, err := tts.Synthesize(ctx, text, speech.Options{RateWPM: speech.RateNormal, PauseMS: 300})
			if err != nil {
				return err
			}
			ttsLat = append(ttsLat, time.Since(start))
			if p, err := media.DecodeAudio(ctx, wav, media.DefaultLimits()); err == nil {
				spoken += p.Duration()
			}
		}
	}
	sort.Slice(ttsLat, func(i, j int) bool { return ttsLat[i] < ttsLat[j] })
	var ttsTotal time.Duration
	for _, d := range ttsLat {
		ttsTotal += d
	}
	tp50 := ttsLat[len(ttsLat)/2]
	fmt.Fprintf(out, "text to speech (espeak-ng, whole reply before the first byte): p50 %s, %.0fx real time\n",
		tp50.Round(time.Millisecond), spoken.Seconds()/ttsTotal.Seconds())
	fmt.Fprintf(out, "end of speech to first byte of reply audio, local path: %s after the endpoint (transcript p50 + speech p50; dialogue time excluded), %s including the %s endpointing silence\n",
		(p50 + tp50).Round(time.Millisecond), (p50 + tp50 + endSilence).Round(time.Millisecond), endSilence)
	return nil
}

func typeName(t string) string {
	if t == "" {
		return "open"
	}
	return t
}

// engineName is the synthesiser of a generated voice ("flite-slt" -> "flite"); a real voice is
// its own engine.
func engineName(voice string) string {
	if e, _, ok := strings.Cut(voice, "-"); ok {
		return e
	}
	return voice
}

func sameKeys(a, b map[string]*werTally) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if b[k] == nil {
			return false
		}
	}
	return true
}

func printTallies(out io.Writer, m map[string]*werTally) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	printTalliesOrdered(out, m, keys)
}

func printTalliesOrdered(out io.Writer, m map[string]*werTally, keys []string) {
	for _, k := range keys {
		fmt.Fprintf(out, "  %-26s %s\n", k, m[k])
	}
}

func readSpeechTruth(path string) ([]speechTruth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (make one with parley gen speech --out DIR)", err)
	}
	defer f.Close()
	var out []speechTruth
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var t speechTruth
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if t.File == "" || strings.Contains(t.File, "..") || filepath.IsAbs(t.File) {
			return nil, fmt.Errorf("%s:%d: bad file name %q", path, line, t.File)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no utterances", path)
	}
	return out, sc.Err()
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
