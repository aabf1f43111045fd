package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parleyhq/parley/perception/check/micr"
)

func init() {
	Register(&Command{Name: "eval micr", Summary: "score the MICR reader on a folder of NAME.tif/png + NAME.gt.txt line crops (exact lines, characters, confusions, time; tesseract beside it)", Run: runEvalMICR})
	Register(&Command{Name: "micr train", Summary: "build the MICR glyph classifier from folders of line crops with ground truth and print its sha256", Run: runMICRTrain})
}

// Defaults of the shipped model: the lines drawn from the standard's geometry added to the real ones.
const (
	renderedLines = 400
	renderedSeed  = 7
)

func runEvalMICR(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval micr", out)
	modelPath := fs.String("model", "", "model file (default: the one built into parley)")
	cv := fs.Int("cv", 0, "cross-validate by line with this many folds, training on the folder itself")
	every := fs.Int("every", 1, "read one line in every N")
	tess := fs.Bool("tesseract", true, "also read the lines with tesseract for comparison")
	rendered := fs.Int("rendered", renderedLines, "with --cv: lines drawn from the standard's geometry added to each fold's training")
	hidden := fs.Int("hidden", 0, "with --cv: hidden units (default the shipped model's)")
	epochs := fs.Int("epochs", 0, "with --cv: training passes (default the shipped model's)")
	templates := fs.Bool("templates", false, "read with the standard's glyph templates alone (the reader before it learned), for comparison")
	show := fs.Int("show", 0, "list this many lines read wrong (names and errors only, never the numbers)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval micr DIR [--cv K] [--model FILE]", ErrUsage)
	}
	ex, bad, err := micr.LoadDir(pos[0], *every)
	if err != nil {
		return err
	}
	var results []micr.Result
	var per time.Duration
	switch {
	case *cv > 1:
		fmt.Fprintf(out, "cross-validating by line, %d folds, on %d lines (%d undecodable: %s)\n", *cv, len(ex), len(bad), strings.Join(bad, "; "))
		extra := micr.RenderedExamples(*rendered, renderedSeed)
		results = micr.CrossValidateWith(ex, extra, *cv, micr.TrainOptions{Hidden: *hidden, Epochs: *epochs}, func(f int, st micr.TrainStats) {
			fmt.Fprintf(out, "  fold %d: trained on %d glyphs from %d/%d lines\n", f, st.Glyphs, st.Used, st.Lines)
		})
		// Time the reading alone, with a model of the same size, on the lines again.
		m := micr.ShippedModel()
		if m != nil {
			t0 := time.Now()
			for _, e := range ex {
				micr.ReadWith(m, e.Image)
			}
			per = time.Since(t0) / time.Duration(max(len(ex), 1))
		}
	default:
		m := micr.ShippedModel()
		if *modelPath != "" {
			data, err := os.ReadFile(*modelPath)
			if err != nil {
				return err
			}
			if m, err = micr.LoadModel(data); err != nil {
				return err
			}
		}
		if m == nil {
			return errors.New("no MICR model: the built-in one failed its checksum")
		}
		read := func(img image.Image) (micr.Line, error) { return micr.ReadWith(m, img) }
		if *templates {
			read = micr.ReadTemplates
		}
		t0 := time.Now()
		for _, e := range ex {
			l, err := read(e.Image)
			results = append(results, micr.Result{Name: e.Name, Truth: e.Truth, Got: strings.ReplaceAll(l.Text, " ", ""), Err: err})
		}
		per = time.Since(t0) / time.Duration(max(len(ex), 1))
		fmt.Fprintf(out, "%d lines (%d undecodable), model sha256 %s\n", len(ex), len(bad), modelSum(m))
	}
	var s micr.Summary
	shown := 0
	for _, r := range results {
		var one micr.Summary
		one.Add(r.Truth, r.Got)
		if one.Exact == 0 && shown < *show {
			shown++
			where := "inside"
			if t, g := []rune(r.Truth), []rune(r.Got); len(t) > 1 && len(g) > 1 && string(t[1:len(t)-1]) == string(g[1:len(g)-1]) ||
				len(t) > 1 && len(g) > 0 && (string(t[1:]) == string(g) || string(t[:len(t)-1]) == string(g) || len(g) > 1 && (string(t) == string(g[1:]) || string(t) == string(g[:len(g)-1]))) {
				where = "at an end"
			}
			fmt.Fprintf(out, "  wrong: %s (%d of %d characters off, %s)\n", r.Name, one.Errors, one.Chars, where)
			if os.Getenv("ZZ") != "" {
				fmt.Fprintf(out, "    %s\n    %s\n", r.Truth, r.Got)
			}
		}
		s.Add(r.Truth, r.Got)
	}
	for range bad {
		s.Lines++ // an image that does not decode is a line not read
	}
	fmt.Fprintf(out, "parley:    %d/%d exact lines (%.1f%%), %.2f%% of characters, %.2f ms a line (one core)\n",
		s.Exact, s.Lines, 100*s.ExactRate(), 100*s.CharAccuracy(), float64(per.Microseconds())/1000)
	printConfusion(out, s)
	if *tess {
		evalTesseract(ctx, out, pos[0], ex)
	}
	return nil
}

func modelSum(m *micr.Model) string {
	sum := sha256.Sum256(m.Marshal())
	return hex.EncodeToString(sum[:])[:16] + "…"
}

// printConfusion lists the most frequent reading errors.
func printConfusion(out io.Writer, s micr.Summary) {
	type pair struct {
		k [2]rune
		n int
	}
	var ps []pair
	for k, n := range s.Confusion {
		if k[0] != k[1] {
			ps = append(ps, pair{k, n})
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].n != ps[j].n {
			return ps[i].n > ps[j].n
		}
		return string(ps[i].k[:]) < string(ps[j].k[:])
	})
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(out, "confusions (truth -> read; '-' dropped, '+' added), most frequent:")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for i, p := range ps {
		if i == 20 {
			break
		}
		fmt.Fprintf(tw, "  %c -> %c\t%d\n", p.k[0], p.k[1], p.n)
	}
	tw.Flush()
}

// evalTesseract reads the same lines with tesseract. No E-13B model is packaged on npm or in
// Debian, so the comparison uses the best setup at hand: a tessdata file named by PARLEY_E13B
// (e13b.traineddata) when set, otherwise Debian's eng limited to digits, scored on digits only.
func evalTesseract(ctx context.Context, out io.Writer, dir string, ex []micr.Example) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		fmt.Fprintln(out, "tesseract: not installed; no comparison")
		return
	}
	lang, tessdata, digitsOnly := "eng", "", true
	if p := os.Getenv("PARLEY_E13B"); p != "" {
		lang, tessdata, digitsOnly = strings.TrimSuffix(filepath.Base(p), ".traineddata"), filepath.Dir(p), false
	}
	var s micr.Summary
	t0 := time.Now()
	for _, e := range ex {
		img := ""
		for _, ext := range []string{".tif", ".png", ".jpg"} {
			if _, err := os.Stat(filepath.Join(dir, e.Name+ext)); err == nil {
				img = filepath.Join(dir, e.Name+ext)
				break
			}
		}
		args := []string{img, "stdout", "--psm", "7", "-l", lang}
		if tessdata != "" {
			args = append(args, "--tessdata-dir", tessdata)
		}
		if digitsOnly {
			args = append(args, "-c", "tessedit_char_whitelist=0123456789")
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		b, _ := cmd.Output()
		got := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || !digitsOnly && strings.ContainsRune("ABCD", r) {
				return r
			}
			return -1
		}, string(b))
		truth := e.Truth
		if digitsOnly {
			truth = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, truth)
		} else {
			got = micr.TruthFromGT(got)
		}
		s.Add(truth, got)
	}
	per := time.Since(t0) / time.Duration(max(len(ex), 1))
	what := "tesseract " + lang
	if digitsOnly {
		what += " (digits only, no E-13B model available; scored on the digits)"
	}
	fmt.Fprintf(out, "%s: %d/%d exact lines (%.1f%%), %.2f%% of characters, %.0f ms a line\n",
		what, s.Exact, s.Lines, 100*s.ExactRate(), 100*s.CharAccuracy(), float64(per.Microseconds())/1000)
}

func runMICRTrain(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("micr train", out)
	dst := fs.String("out", "perception/check/micr/model/e13b.bin", "model file to write (its .sha256 beside it)")
	rendered := fs.Int("rendered", renderedLines, "lines drawn from the standard's geometry added to the training")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: parley micr train DIR... [--out FILE]", ErrUsage)
	}
	var ex []micr.Example
	for _, dir := range pos {
		e, bad, err := micr.LoadDir(dir, 1)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %d lines (%d undecodable)\n", dir, len(e), len(bad))
		ex = append(ex, e...)
	}
	ex = append(ex, micr.RenderedExamples(*rendered, renderedSeed)...)
	m, st := micr.Train(ex, micr.TrainOptions{})
	if m == nil {
		return errors.New("no line could be labelled")
	}
	data := m.Marshal()
	if err := os.WriteFile(*dst, data, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	base := strings.TrimSuffix(filepath.Base(*dst), filepath.Ext(*dst))
	if err := os.WriteFile(strings.TrimSuffix(*dst, filepath.Ext(*dst))+".sha256", []byte(hexSum+"  "+base+".bin\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "trained on %d glyphs from %d/%d lines; wrote %s (%d bytes) sha256 %s\n", st.Glyphs, st.Used, st.Lines, *dst, len(data), hexSum)
	return nil
}
