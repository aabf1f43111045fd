package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/check"
	"github.com/parleyhq/parley/perception/imagequal"
	"github.com/parleyhq/parley/perception/ocr"
)

func init() {
	Register(&Command{Name: "eval checks", Summary: "field accuracy and timing of check reading on a generated set (truth.jsonl)", Run: runEvalChecks})
}

// evalFields are the fields scored, in report order.
var evalFields = []string{"amount", "legal_amount", "payee", "routing", "account", "check_number", "date"}

// checkTruth is one line of truth.jsonl, read tolerantly: the generator's key names vary.
type checkTruth struct {
	Image       string
	Degradation string
	Want        map[string]string
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// readTruth parses truth.jsonl in dir.
func readTruth(dir string) ([]checkTruth, error) {
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []checkTruth
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("truth.jsonl line %d: %w", n, err)
		}
		// Fields may sit at the top level or under "fields"/"truth".
		fields := m
		for _, k := range []string{"fields", "truth", "check"} {
			if sub, ok := m[k].(map[string]any); ok {
				fields = sub
			}
		}
		t := checkTruth{
			Image:       firstString(m, "file", "image", "path", "name"),
			Degradation: firstString(m, "degradation", "degrade", "variant", "distortion"),
			Want: map[string]string{
				"amount":       firstString(fields, "amount", "courtesy_amount"),
				"legal_amount": firstString(fields, "legal_amount", "amount_words", "legal"),
				"routing":      firstString(fields, "routing", "routing_number"),
				"account":      firstString(fields, "account", "account_number"),
				"check_number": firstString(fields, "check_number", "serial", "number"),
				"date":         firstString(fields, "date"),
				"payee":        firstString(fields, "payee"),
				"micr":         firstString(fields, "micr", "micr_line"),
			},
		}
		if t.Degradation == "" {
			t.Degradation = "none"
		}
		if t.Image == "" {
			return nil, fmt.Errorf("truth.jsonl line %d: no image file named", n)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// fieldCorrect compares one read field with the truth, in the field's canonical form.
func fieldCorrect(field, want string, rd *check.Reading) bool {
	switch field {
	case "amount":
		w, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(want, "$"), ",", ""), 64)
		return err == nil && math.Abs(w-rd.Amount) < 0.005
	case "legal_amount":
		w, err := check.ParseLegal(want)
		if err != nil {
			w, err = strconv.ParseFloat(want, 64)
		}
		return err == nil && rd.LegalAmount > 0 && math.Abs(w-rd.LegalAmount) < 0.005
	case "routing":
		return rd.Routing.Text == want
	case "account":
		return strings.ReplaceAll(rd.Account.Text, "D", "-") == strings.ReplaceAll(want, "D", "-") ||
			strings.Trim(rd.Account.Text, "-D") == strings.NewReplacer("-", "", "D", "").Replace(want)
	case "check_number":
		return strings.TrimLeft(rd.CheckNumber.Text, "0") == strings.TrimLeft(want, "0") && want != ""
	case "date":
		d, err := check.ParseDate(want)
		return err == nil && rd.Date.Text == d.Format(time.DateOnly)
	case "payee":
		// Exactly, as the customer will hear it read back.
		return rd.Payee.Text == want
	}
	return false
}

type evalResult struct {
	truth checkTruth
	rd    *check.Reading
	err   error
	ms    float64
}

func runEvalChecks(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval checks", out)
	jobs := fs.Int("j", 1, "checks read at once (each reader uses one core)")
	limit := fs.Int("n", 0, "read at most this many checks (0: all)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	verbose := fs.Bool("v", false, "list every field read wrong")
	width := fs.Int("width", 0, "rectify checks to this width before reading (0: the default)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval checks [-j N] [-n N] [-json] DIR", ErrUsage)
	}
	dir := pos[0]
	truth, err := readTruth(dir)
	if err != nil {
		return err
	}
	if *limit > 0 && *limit < len(truth) {
		truth = truth[:*limit]
	}
	pool, err := ocr.NewPool(*jobs)
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	reader := check.NewReader(pool, check.Options{Width: *width})
	bar := progressbar.Default(int64(len(truth)), "reading checks")
	results := make([]evalResult, len(truth))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, *jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t := truth[i]
				start := time.Now()
				res := evalResult{truth: t}
				data, err := os.ReadFile(filepath.Join(dir, t.Image))
				if err == nil {
					img := imageOrErr(data, &err)
					if err == nil {
						res.rd, err = reader.Read(ctx, img)
						if errors.Is(err, check.ErrNotCheck) {
							err = nil
						}
					}
				}
				res.err = err
				res.ms = float64(time.Since(start).Microseconds()) / 1000
				results[i] = res
				bar.Add(1)
			}
		}()
	}
feed:
	for i := range truth {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	bar.Finish()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if *verbose {
		printMisses(os.Stderr, results)
	}
	sum := summarize(results)
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	printSummary(out, sum)
	return nil
}

func imageOrErr(data []byte, err *error) (img image.Image) {
	img, _, *err = imagequal.Decode(data, media.DefaultLimits().MaxPixels)
	return img
}

// evalSummary is the report of `parley eval checks`.
type evalSummary struct {
	Checks  int                           `json:"checks"`
	Errors  int                           `json:"errors"`
	Overall float64                       `json:"overall_accuracy"`
	ByField map[string]float64            `json:"by_field"`
	ByDegr  map[string]map[string]float64 `json:"by_degradation"`
	CountBy map[string]int                `json:"count_by_degradation"`
	// MICRLines counts the checks whose truth gives the MICR line; MICRExact is the share read
	// exactly (spaces aside). The line is scored on its own, not among the fields.
	MICRLines int     `json:"micr_lines"`
	MICRExact float64 `json:"micr_exact_lines"`
	MedianMS  float64 `json:"median_ms"`
	P90MS     float64 `json:"p90_ms"`
}

func summarize(results []evalResult) evalSummary {
	s := evalSummary{Checks: len(results), ByField: map[string]float64{}, ByDegr: map[string]map[string]float64{}, CountBy: map[string]int{}}
	type tally struct{ ok, n int }
	field := map[string]*tally{}
	degr := map[string]map[string]*tally{}
	var all tally
	var ms []float64
	for _, r := range results {
		ms = append(ms, r.ms)
		if r.err != nil {
			s.Errors++
		}
		d := r.truth.Degradation
		s.CountBy[d]++
		if want := r.truth.Want["micr"]; want != "" {
			s.MICRLines++
			if r.rd != nil && r.rd.MICR != nil && strings.ReplaceAll(r.rd.MICR.Text, " ", "") == strings.ReplaceAll(want, " ", "") {
				s.MICRExact++
			}
		}
		if degr[d] == nil {
			degr[d] = map[string]*tally{}
		}
		for _, f := range evalFields {
			want := r.truth.Want[f]
			if want == "" {
				continue
			}
			ok := r.rd != nil && r.rd.IsCheck && fieldCorrect(f, want, r.rd)
			for _, t := range []*tally{get(field, f), get(degr[d], f), get(degr[d], "all"), &all} {
				t.n++
				if ok {
					t.ok++
				}
			}
		}
	}
	rate := func(t *tally) float64 {
		if t.n == 0 {
			return math.NaN()
		}
		return float64(t.ok) / float64(t.n)
	}
	for f, t := range field {
		s.ByField[f] = rate(t)
	}
	for d, m := range degr {
		s.ByDegr[d] = map[string]float64{}
		for f, t := range m {
			s.ByDegr[d][f] = rate(t)
		}
	}
	s.Overall = rate(&all)
	if s.MICRLines > 0 {
		s.MICRExact /= float64(s.MICRLines)
	}
	slices.Sort(ms)
	if len(ms) > 0 {
		s.MedianMS = ms[len(ms)/2]
		s.P90MS = ms[min(len(ms)-1, len(ms)*9/10)]
	}
	return s
}

func get[K comparable, V any](m map[K]*V, k K) *V {
	if m[k] == nil {
		m[k] = new(V)
	}
	return m[k]
}

func printSummary(out io.Writer, s evalSummary) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "degradation\tn\t")
	for _, f := range evalFields {
		fmt.Fprintf(tw, "%s\t", f)
	}
	fmt.Fprint(tw, "all\t\n")
	degrs := make([]string, 0, len(s.ByDegr))
	for d := range s.ByDegr {
		degrs = append(degrs, d)
	}
	sort.Strings(degrs)
	pct := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	for _, d := range degrs {
		fmt.Fprintf(tw, "%s\t%d\t", d, s.CountBy[d])
		for _, f := range evalFields {
			v, ok := s.ByDegr[d][f]
			if !ok {
				v = math.NaN()
			}
			fmt.Fprintf(tw, "%s\t", pct(v))
		}
		fmt.Fprintf(tw, "%s\t\n", pct(s.ByDegr[d]["all"]))
	}
	fmt.Fprintf(tw, "all\t%d\t", s.Checks)
	for _, f := range evalFields {
		v, ok := s.ByField[f]
		if !ok {
			v = math.NaN()
		}
		fmt.Fprintf(tw, "%s\t", pct(v))
	}
	fmt.Fprintf(tw, "%s\t\n", pct(s.Overall))
	tw.Flush()
	fmt.Fprintf(out, "\nchecks %d, errors %d, time per check: median %.0f ms, p90 %.0f ms\n", s.Checks, s.Errors, s.MedianMS, s.P90MS)
	if s.MICRLines > 0 {
		fmt.Fprintf(out, "MICR lines read exactly: %.0f/%d (%.1f%%)\n", s.MICRExact*float64(s.MICRLines), s.MICRLines, 100*s.MICRExact)
	}
}

// got returns the reading's value of a scored field, as printed in the list of misses.
func got(field string, rd *check.Reading) string {
	if rd == nil {
		return "(no reading)"
	}
	switch field {
	case "amount":
		return strconv.FormatFloat(rd.Amount, 'f', 2, 64)
	case "legal_amount":
		return rd.Legal.Text
	case "routing":
		return rd.Routing.Text
	case "account":
		return rd.Account.Text
	case "check_number":
		return rd.CheckNumber.Text
	case "date":
		return rd.Date.Text
	case "payee":
		return rd.Payee.Text
	}
	return ""
}

func printMisses(w io.Writer, results []evalResult) {
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(w, "%s: %v\n", r.truth.Image, r.err)
			continue
		}
		for _, f := range evalFields {
			want := r.truth.Want[f]
			if want != "" && (r.rd == nil || !r.rd.IsCheck || !fieldCorrect(f, want, r.rd)) {
				fmt.Fprintf(w, "%s\t%s\twant %q\tgot %q\n", r.truth.Image, f, want, got(f, r.rd))
			}
		}
	}
}
