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
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/parleyhq/parley/faultgen"
)

func init() {
	Register(&Command{Name: "eval faults", Summary: "send generated fault videos (DIR with truth.jsonl) and score diagnosis top-1/top-3, code reading, product and time per video and per output (--server, --json)", Run: runEvalFaults})
}

// faultState is the part of a conversation's state the fault evaluation reads.
type faultState struct {
	Slots map[string]struct {
		Value    any `json:"value"`
		Evidence []struct {
			Value      any     `json:"value"`
			Stage      string  `json:"stage"`
			Modality   string  `json:"modality"`
			Confidence float64 `json:"confidence"`
		} `json:"evidence"`
	} `json:"slots"`
	Actions []struct {
		Type   string         `json:"type"`
		Params map[string]any `json:"params"`
	} `json:"actions"`
	Findings []struct {
		Kind, Name, Value string
		Confidence        float64
	} `json:"findings"`
	Step string `json:"step"`
}

// faultResult is the evaluation of one video.
type faultResult struct {
	File      string `json:"file"`
	Truth     string `json:"truth"`
	NamesCode bool   `json:"names_code"`
	// DisplayKind is the truth's "led" or "lcd" for appliances.
	DisplayKind string             `json:"display_kind,omitempty"`
	Pack        string             `json:"pack"`
	Diagnosed   string             `json:"diagnosed"`
	Top3        []string           `json:"top3"`
	Display     string             `json:"display"`
	Product     bool               `json:"product_ok"`
	Model       string             `json:"model"`
	Asked       bool               `json:"asked_check"`
	MS          float64            `json:"ms"`
	Outputs     map[string]float64 `json:"outputs_ms,omitempty"`
	Documents   int                `json:"documents"`
	Err         string             `json:"error,omitempty"`
}

func runEvalFaults(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval faults", out)
	serverURL := fs.String("server", "", "evaluate a running server (default: one started in-process)")
	cfgPath := fs.String("config", "", "config file of the in-process server")
	asJSON := fs.Bool("json", false, "print every video's result as JSON lines, then the summary")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley eval faults DIR [--server URL] [--json]", ErrUsage)
	}
	dir := pos[0]
	truth, err := readFaultTruth(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	c, err := connect(ctx, *serverURL, "", *cfgPath)
	if err != nil {
		return err
	}
	defer c.close()
	bar := progressbar.NewOptions(len(truth), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("fault videos"), progressbar.OptionClearOnFinish())
	var results []faultResult
	for _, t := range truth {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := evalFault(ctx, c, dir, t)
		results = append(results, r)
		if *asJSON {
			json.NewEncoder(out).Encode(r)
		}
		bar.Add(1)
	}
	bar.Finish()
	printFaultSummary(out, results)
	return nil
}

func readFaultTruth(path string) ([]faultgen.Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []faultgen.Truth
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var t faultgen.Truth
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// evalFault sends one video as a customer would, answers "no" to a diagnostic check if one is
// asked, and reads what the conversation concluded.
func evalFault(ctx context.Context, c *client, dir string, t faultgen.Truth) faultResult {
	r := faultResult{File: t.File, Truth: t.Code, NamesCode: t.NamesCode, Pack: t.Pack, DisplayKind: t.DisplayKind}
	id, err := c.create(ctx, t.Pack)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	start := time.Now()
	rep, err := c.send(ctx, id, "", map[string][]string{"video": {filepath.Join(dir, t.File)}})
	r.MS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Err = err.Error()
		return r
	}
	for _, p := range rep.Reply.Parts {
		if p.Type == "document" {
			r.Documents++
		}
	}
	st, err := decodeFaultState(rep.State)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	if strings.HasPrefix(st.Step, "check:") {
		r.Asked = true
		if rep, err = c.send(ctx, id, "no", nil); err == nil {
			for _, p := range rep.Reply.Parts {
				if p.Type == "document" {
					r.Documents++
				}
			}
			st, err = decodeFaultState(rep.State)
		}
		if err != nil {
			r.Err = err.Error()
			return r
		}
	}
	for _, a := range st.Actions {
		if a.Type != "diagnosis" {
			continue
		}
		r.Diagnosed = fmt.Sprint(a.Params["code"])
		if tm, ok := a.Params["timings_ms"].(map[string]any); ok {
			r.Outputs = map[string]float64{}
			for k, v := range tm {
				if f, ok := v.(float64); ok {
					r.Outputs[k] = f
				}
			}
		}
	}
	// Top 3: the diagnosis, then the other codes the evidence held, most confident first.
	type cand struct {
		v string
		c float64
	}
	var cands []cand
	best := map[string]float64{}
	if sl, ok := st.Slots["error_code"]; ok {
		for _, ev := range sl.Evidence {
			v := strings.ToUpper(fmt.Sprint(ev.Value))
			best[v] = max(best[v], ev.Confidence)
			if ev.Stage == "image.display" && ev.Confidence > 0 && r.Display == "" {
				r.Display = v
			}
		}
	}
	for v, conf := range best {
		cands = append(cands, cand{v, conf})
	}
	sort.Slice(cands, func(i, j int) bool {
		return cands[i].c > cands[j].c || cands[i].c == cands[j].c && cands[i].v < cands[j].v
	})
	if r.Diagnosed != "" {
		r.Top3 = append(r.Top3, r.Diagnosed)
	}
	for _, cd := range cands {
		if len(r.Top3) < 3 && cd.v != r.Diagnosed {
			r.Top3 = append(r.Top3, cd.v)
		}
	}
	if sl, ok := st.Slots["product"]; ok {
		kind := map[string]string{"washing machine": "washer", "dishwasher": "dishwasher", "router": "router"}[strings.ToLower(fmt.Sprint(sl.Value))]
		r.Product = kind == t.Kind
	}
	for _, f := range st.Findings {
		if f.Kind == "model" {
			r.Model = f.Value
		}
	}
	return r
}

func decodeFaultState(m map[string]any) (faultState, error) {
	var st faultState
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	return st, err
}

func printFaultSummary(w io.Writer, rs []faultResult) {
	type tally struct{ n, top1, top3, code, codeN, product, docs int }
	var all, silent, routers, lcd, dots tally
	var ms []float64
	outs := map[string][]float64{}
	asked := 0
	for _, r := range rs {
		add := func(t *tally) {
			t.n++
			if r.Diagnosed == r.Truth {
				t.top1++
			}
			for _, v := range r.Top3 {
				if v == r.Truth {
					t.top3++
					break
				}
			}
			if r.Pack == "appliances" {
				t.codeN++
				if r.Display == r.Truth {
					t.code++
				}
			}
			if r.Product {
				t.product++
			}
			if r.Documents >= 2 {
				t.docs++
			}
		}
		if r.Pack == "telecom" {
			add(&routers)
			continue
		}
		add(&all)
		if !r.NamesCode {
			add(&silent)
		}
		if r.DisplayKind == "lcd" {
			add(&lcd)
		}
		if strings.HasPrefix(r.DisplayKind, "dotmatrix") {
			add(&dots)
		}
		if r.Asked {
			asked++
		}
		ms = append(ms, r.MS)
		for k, v := range r.Outputs {
			outs[k] = append(outs[k], v)
		}
		if r.Err != "" {
			fmt.Fprintf(w, "%s: %s\n", r.File, r.Err)
		}
	}
	pc := func(a, b int) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(a)/float64(b), a, b)
	}
	fmt.Fprintf(w, "appliance videos        %d\n", all.n)
	fmt.Fprintf(w, "diagnosis top-1         %s\n", pc(all.top1, all.n))
	fmt.Fprintf(w, "diagnosis top-3         %s\n", pc(all.top3, all.n))
	fmt.Fprintf(w, "top-1, code never said  %s\n", pc(silent.top1, silent.n))
	fmt.Fprintf(w, "display code read       %s\n", pc(all.code, all.codeN))
	if lcd.n > 0 {
		fmt.Fprintf(w, "LCD panels              %d, top-1 %s, code read %s\n", lcd.n, pc(lcd.top1, lcd.n), pc(lcd.code, lcd.codeN))
	}
	if dots.n > 0 {
		fmt.Fprintf(w, "dot-matrix displays     %d, top-1 %s, code read %s\n", dots.n, pc(dots.top1, dots.n), pc(dots.code, dots.codeN))
	}
	fmt.Fprintf(w, "product right           %s\n", pc(all.product, all.n))
	fmt.Fprintf(w, "report+guide documents  %s\n", pc(all.docs, all.n))
	fmt.Fprintf(w, "asked a check           %d\n", asked)
	if routers.n > 0 {
		fmt.Fprintf(w, "router videos           %d, fault top-1 %s\n", routers.n, pc(routers.top1, routers.n))
	}
	if len(ms) > 0 {
		sort.Float64s(ms)
		fmt.Fprintf(w, "time per video          median %.0f ms, max %.0f ms\n", ms[len(ms)/2], ms[len(ms)-1])
	}
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := outs[k]
		sort.Float64s(v)
		fmt.Fprintf(w, "output %-16s median %.1f ms, max %.1f ms\n", k, v[len(v)/2], v[len(v)-1])
	}
}
