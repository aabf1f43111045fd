package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
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
		Name:    "eval speech",
		Summary: "measure speech recognition (WER clean/noisy per voice, RTF, latency) and TTS time on a gen speech directory",
		Run:     runEvalSpeech,
	})
}

type werTally struct {
	errs, words, utts, exact int
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
	return fmt.Sprintf("WER %5.1f%%  sentences %5.1f%% right  (%d utterances)",
		100*float64(w.errs)/float64(w.words), 100*float64(w.exact)/float64(w.utts), w.utts)
}

func runEvalSpeech(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval speech", out)
	verbose := fs.Bool("v", false, "print every utterance that was not recognised exactly")
	every := fs.Int("every", 1, "evaluate every Nth utterance only (a quicker, smaller sample)")
	noise := fs.String("noise", "", "evaluate only this noise condition (clean, white, babble)")
	psArgs := fs.String("decoder-args", "", "extra pocketsphinx settings, e.g. \"-fwdflat no\"")
	endSilence := fs.Duration("end-silence", 600*time.Millisecond, "live endpointing delay added to the end-to-end latency estimate")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval speech DIR (made by parley gen speech --out DIR)", ErrUsage)
	}
	dir := pos[0]
	truth, err := readSpeechTruth(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	var src perception.PackSource
	if lib, err := kb.Load(packs.FS); err == nil {
		src = lib
	} else {
		fmt.Fprintf(out, "knowledge packs not loaded (%v); using the built-in domain phrases\n", err)
	}
	t0 := time.Now()
	rec, err := asr.New(asr.Config{Packs: src, Decoders: 1, DecoderArgs: strings.Fields(*psArgs)})
	if err != nil {
		return err
	}
	defer rec.Close(context.Background())
	fmt.Fprintf(out, "recogniser loaded in %s\n", time.Since(t0).Round(time.Millisecond))

	byCond := map[string]*werTally{}
	byVoice := map[string]*werTally{}
	byType := map[string]*werTally{}
	var audio, decode, cpu time.Duration
	var lat []time.Duration
	warm := false
	for i, t := range truth {
		if err := ctx.Err(); err != nil {
			return err
		}
		if (*every > 1 && i%*every != 0) || (*noise != "" && t.Noise != *noise) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, t.File))
		if err != nil {
			return err
		}
		pcm, err := media.DecodeAudio(ctx, data, media.DefaultLimits())
		if err != nil {
			return fmt.Errorf("%s: %w", t.File, err)
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
		for _, m := range []struct {
			m   map[string]*werTally
			key string
		}{{byCond, t.Noise}, {byVoice, t.Voice + " " + t.Noise}, {byType, typeName(t.Type) + " " + t.Noise}} {
			if m.m[m.key] == nil {
				m.m[m.key] = &werTally{}
			}
			m.m[m.key].add(errs, words)
		}
		if *verbose && errs > 0 {
			fmt.Fprintf(out, "  %-40s %-7s want %q got %q (%s, conf %.2f)\n", t.File, t.Type, asr.Spoken(t.Text), res.Text, res.Search, res.Confidence)
		}
	}
	fmt.Fprintf(out, "\n%d utterances, %.1f s of audio\n\nby noise:\n", len(lat), audio.Seconds())
	printTallies(out, byCond)
	fmt.Fprintln(out, "\nby voice:")
	printTallies(out, byVoice)
	fmt.Fprintln(out, "\nby expectation:")
	printTallies(out, byType)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
	fmt.Fprintf(out, "\nrecognition: RTF %.3f wall, %.3f CPU (one decoder; wall time counts waiting for a shared CPU)\n",
		decode.Seconds()/audio.Seconds(), cpu.Seconds()/audio.Seconds())
	fmt.Fprintf(out, "latency, end of utterance to transcript: p50 %s  p95 %s\n", p50.Round(time.Millisecond), p95.Round(time.Millisecond))

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
		(p50 + tp50).Round(time.Millisecond), (p50 + tp50 + *endSilence).Round(time.Millisecond), *endSilence)
	return nil
}

func typeName(t string) string {
	if t == "" {
		return "open"
	}
	return t
}

func printTallies(out io.Writer, m map[string]*werTally) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "  %-22s %s\n", k, m[k])
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
