package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/vad"
	"github.com/parleyhq/parley/perception/vad/silero"
	"github.com/parleyhq/parley/perception/vad/vadeval"
)

func init() {
	Register(&Command{
		Name: "eval vad",
		Summary: "measure voice activity detection (energy and Silero) on streams built from a folder of real recordings " +
			"with pauses, soft speech, short bursts, babble and white noise",
		Run: runEvalVAD,
	})
}

// vadEngine is one detector configuration under test.
type vadEngine struct {
	name string
	cls  func() (vad.Classifier, error) // nil: the energy default
}

func runEvalVAD(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval vad", out)
	every := fs.Int("every", 1, "use every Nth recording of each voice only (a quicker sample)")
	streams := fs.Int("streams", 30, "streams to build per noise condition")
	noises := fs.String("noise", "quiet,babble:10,babble:5,white:10,white:5", "noise conditions, comma separated: quiet, babble:DB, white:DB")
	engines := fs.String("vad", "energy,silero,both", "detectors to compare: energy, silero (Silero v5), both (speech when the energy or the Silero classifier hears it; "+
		"a barge-in counts only speech both hear), silero-v6, both-v6")
	models := fs.String("models", nn.ModelDir(), "model directory holding Silero and ONNX Runtime (env PARLEY_MODELS)")
	seed := fs.Uint64("seed", 1, "seed for building the streams")
	endSilence := fs.Duration("end-silence", 600*time.Millisecond, "trailing silence that ends an utterance (as in live calls)")
	bargeIn := fs.Duration("barge-in", 400*time.Millisecond, "speech that stops a playing reply (as in live calls)")
	level := fs.Float64("level-drop", 0, "also measure each detector with vad.Level: inside an utterance a frame this many dB under the talker's level is not speech (0: off)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval vad DIR (a folder of real recordings with a truth.jsonl)", ErrUsage)
	}
	conds, err := parseVADNoise(*noises)
	if err != nil {
		return err
	}
	var engs []vadEngine
	for _, name := range strings.Split(*engines, ",") {
		switch name = strings.TrimSpace(name); name {
		case "energy":
			engs = append(engs, vadEngine{name: name})
		case "silero", "silero-v6", "both", "both-v6":
			version := silero.V5
			if strings.HasSuffix(name, "v6") {
				version = silero.V6
			}
			m, err := silero.Load(*models, version)
			if err != nil {
				fmt.Fprintf(out, "%s not measured: %v\n", name, err)
				continue
			}
			defer m.Close()
			cls := func() (vad.Classifier, error) { return m.NewStream(vadeval.Rate) }
			if strings.HasPrefix(name, "both") {
				cls = func() (vad.Classifier, error) {
					s, err := m.NewStream(vadeval.Rate)
					return vad.NewEither(vad.NewEnergy(vadeval.Rate, 0), s), err
				}
			}
			engs = append(engs, vadEngine{name: name, cls: cls})
		default:
			return fmt.Errorf("%w: --vad takes energy, silero, both, silero-v6 or both-v6, not %q", ErrUsage, name)
		}
	}
	if len(engs) == 0 {
		return fmt.Errorf("no detector to measure")
	}
	if *level > 0 {
		for _, e := range slices.Clone(engs) {
			inner := e.cls
			engs = append(engs, vadEngine{name: e.name + "+lvl", cls: func() (vad.Classifier, error) {
				c := vad.Classifier(vad.NewEnergy(vadeval.Rate, 0))
				if inner != nil {
					var err error
					if c, err = inner(); err != nil {
						return nil, err
					}
				}
				return vad.NewLevel(c, *level), nil
			}})
		}
	}
	dir := pos[0]
	truth, err := readSpeechTruth(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	truth = sampleTruth(truth, *every, 0, "clean")
	srcs, err := loadVADSources(ctx, dir, truth)
	if err != nil {
		return err
	}
	speakers := map[string]bool{}
	for _, s := range srcs {
		speakers[s.Speaker] = true
	}
	fmt.Fprintf(out, "%d recordings of %d speakers from %s; %d streams per condition, end silence %s, barge-in %s\n",
		len(srcs), len(speakers), dir, *streams, *endSilence, *bargeIn)
	fmt.Fprintln(out, "missed/split/merged/insplt: % of utterances (merged: % of messages; insplt: % of utterances with a 0.3-0.5 s pause inside that were cut);")
	fmt.Fprintln(out, "falsmsg/falsbi: messages and barge-ins (speech >= barge-in) per minute of noise-only time; onset/offset: p50 signed, p90 absolute;")
	fmt.Fprintln(out, "spmiss/softmis: speech frames outside every message (all speech / speech 15 dB softer); bursts: 120-250 ms cut from other speakers, or two such cuts shaped like \"mm-hm\".")
	vadeval.Header(out)
	totals := map[string]*vadeval.Score{}
	var audio time.Duration
	cpu := map[string]time.Duration{}
	for ci, c := range conds {
		r := rand.New(rand.NewPCG(*seed, uint64(ci)))
		built, err := vadeval.Build(r, srcs, *streams, c, vadeval.Options{})
		if err != nil {
			return err
		}
		for _, st := range built {
			audio += time.Duration(len(st.Samples)) * time.Second / vadeval.Rate
		}
		for _, e := range engs {
			var sc vadeval.Score
			for _, st := range built {
				if err := ctx.Err(); err != nil {
					return err
				}
				cfg := vad.Config{EndSilence: *endSilence}
				if e.cls != nil {
					if cfg.Classifier, err = e.cls(); err != nil {
						return err
					}
				}
				c0 := cpuTime()
				dets := vadeval.Detect(st, cfg, *bargeIn)
				cpu[e.name] += cpuTime() - c0
				if err := classifierErr(cfg.Classifier); err != nil {
					return fmt.Errorf("%s: %w", e.name, err)
				}
				sc.Add(st, dets)
			}
			sc.Row(out, e.name, c.String())
			if totals[e.name] == nil {
				totals[e.name] = &vadeval.Score{}
			}
			totals[e.name].Merge(sc)
		}
	}
	fmt.Fprintln(out, "\nall conditions:")
	vadeval.Header(out)
	for _, e := range engs {
		totals[e.name].Row(out, e.name, "all")
	}
	fmt.Fprintln(out)
	for _, e := range engs {
		t := totals[e.name]
		fmt.Fprintf(out, "%-10s bursts taken as messages %d of %d, would stop a reply %d; CPU RTF %.4f\n", e.name,
			t.BurstMessages, t.Bursts, t.BurstBargeIns, cpu[e.name].Seconds()/audio.Seconds())
	}
	return nil
}

// parseVADNoise reads "quiet,babble:10,white:5".
func parseVADNoise(s string) ([]vadeval.Condition, error) {
	var out []vadeval.Condition
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "quiet" {
			out = append(out, vadeval.Condition{Kind: "quiet"})
			continue
		}
		kind, db, ok := strings.Cut(part, ":")
		snr, err := strconv.ParseFloat(db, 64)
		if !ok || err != nil || (kind != "babble" && kind != "white") || !(snr >= -20 && snr <= 60) {
			return nil, fmt.Errorf("%w: --noise takes quiet, babble:DB or white:DB, comma separated, not %q", ErrUsage, part)
		}
		out = append(out, vadeval.Condition{Kind: kind, SNR: snr})
	}
	return out, nil
}

// loadVADSources decodes the recordings to 16 kHz and names their speakers: FSDD's from the file
// name (digit_speaker_n.wav), AN4's from the utterance name (an146-fclc-b.wav), any other file as
// its voice and file.
func loadVADSources(ctx context.Context, dir string, truth []speechTruth) ([]vadeval.Source, error) {
	var out []vadeval.Source
	for _, t := range truth {
		data, err := os.ReadFile(filepath.Join(dir, t.File))
		if err != nil {
			return nil, err
		}
		pcm, err := media.DecodeAudio(ctx, data, media.DefaultLimits())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.File, err)
		}
		narrow := false
		if media.IsWAV(data) {
			if w, err := media.DecodeWAV(data, media.DefaultLimits().MaxAudio); err == nil {
				narrow = w.Rate <= 8000
			}
		}
		out = append(out, vadeval.Source{Samples: pcm.Samples, Speaker: speakerOf(t), Narrow: narrow})
	}
	return out, nil
}

func speakerOf(t speechTruth) string {
	base := strings.TrimSuffix(filepath.Base(t.File), filepath.Ext(t.File))
	switch f := strings.FieldsFunc(base, func(r rune) bool { return r == '_' || r == '-' }); {
	case t.Voice == "fsdd" && len(f) == 3:
		return "fsdd/" + f[1]
	case t.Voice == "an4" && len(f) == 3:
		return "an4/" + f[1]
	case strings.HasPrefix(base, "cards-"):
		return t.Voice + "/cards"
	}
	return t.Voice + "/" + base
}

// classifierErr returns the first error a classifier (or one inside vad.Either) met.
func classifierErr(c vad.Classifier) error {
	if e, ok := c.(interface{ Parts() []vad.Classifier }); ok {
		for _, c := range e.Parts() {
			if err := classifierErr(c); err != nil {
				return err
			}
		}
	}
	if er, ok := c.(interface{ Err() error }); ok {
		return er.Err()
	}
	return nil
}
