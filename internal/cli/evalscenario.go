package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.yaml.in/yaml/v3"
)

func init() {
	Register(&Command{Name: "eval", Summary: "run scripted conversations (SCENARIO.yaml...) and report pass/fail, turns and time", Run: runEvalScenarios})
}

// Scenario is a scripted multi-turn conversation with expectations after each turn.
type Scenario struct {
	Name  string         `yaml:"name"`
	Pack  string         `yaml:"pack"`
	Turns []ScenarioTurn `yaml:"turns"`
	dir   string
}

// ScenarioTurn is one customer message and what must hold after it.
type ScenarioTurn struct {
	Text  string   `yaml:"text"`
	Image []string `yaml:"image"`
	Audio []string `yaml:"audio"`
	Video []string `yaml:"video"`
	// Voice is a voice message: spoken with espeak-ng, or with a scripted hearing.
	Voice  *Voice `yaml:"voice"`
	Expect Expect `yaml:"expect"`
}

// Expect is what a turn's reply and the state must show.
type Expect struct {
	Skill            string                `yaml:"skill"`
	Slots            map[string]SlotExpect `yaml:"slots"`
	ReplyContains    []string              `yaml:"reply_contains"`
	ReplyNotContains []string              `yaml:"reply_not_contains"`
	PartTypes        []string              `yaml:"part_types"`
	Resolved         *bool                 `yaml:"resolved"`
	Handoff          *bool                 `yaml:"handoff"`
	FrustrationAbove *float64              `yaml:"frustration_above"`
	StyleSlower      bool                  `yaml:"style_slower"`
	// Actions lists the action types this turn carries out, in order. Every scenario is held to
	// it: an action a turn does not list, or a handoff a turn does not expect, fails the
	// scenario, so the suite proves that nothing irreversible happens on a value the customer did
	// not clearly confirm and no one is handed to a person who did not ask.
	Actions []string `yaml:"actions"`
}

// SlotExpect is what one slot must hold.
type SlotExpect struct {
	Value      any      `yaml:"value"`
	Status     string   `yaml:"status"`
	Modalities []string `yaml:"modalities"`
}

// ScenarioResult is the outcome of one scenario.
type ScenarioResult struct {
	Name     string
	Passed   bool
	Failures []string
	Turns    int
	// ResolvedAt is the turn at which the conversation was resolved, 0 if never.
	ResolvedAt int
	Elapsed    time.Duration
	// Actions are the actions carried out, by type, in order; Handoffs counts handoffs.
	Actions  []string
	Handoffs int
	// Unexpected counts actions and handoffs that no turn expected.
	Unexpected int
	// Skipped says why the scenario could not be played here (no espeak-ng); empty when played.
	Skipped string
}

// LoadScenario reads a scenario file; media paths are relative to it.
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sc Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(sc.Turns) == 0 {
		return nil, fmt.Errorf("%s: no turns", path)
	}
	if sc.Name == "" {
		sc.Name = filepath.Base(path)
	}
	sc.dir = filepath.Dir(path)
	return &sc, nil
}

func runEvalScenarios(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval", out)
	srvURL := fs.String("server", "", "URL of a running server (default: start one in-process)")
	cfgPath := fs.String("config", "", "config file for the in-process server")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give scenario files (or eval intents|checks|speech|faces)", ErrUsage)
	}
	c, err := connectScenarios(ctx, *srvURL, "", *cfgPath)
	if err != nil {
		return err
	}
	defer c.close()
	bar := progressbar.NewOptions(len(files), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("scenarios"), progressbar.OptionClearOnFinish())
	var results []ScenarioResult
	for _, f := range files {
		sc, err := LoadScenario(f)
		if err != nil {
			return err
		}
		results = append(results, RunScenario(ctx, c, sc))
		bar.Add(1)
	}
	bar.Finish()
	passed, skipped, unexpected, actions, handoffs := 0, 0, 0, 0, 0
	for _, r := range results {
		status := "FAIL"
		switch {
		case r.Skipped != "":
			status, skipped = "SKIP", skipped+1
		case r.Passed:
			status, passed = "PASS", passed+1
		}
		resolved := "-"
		if r.ResolvedAt > 0 {
			resolved = fmt.Sprint(r.ResolvedAt)
		}
		acts := strings.Join(r.Actions, ",")
		if acts == "" {
			acts = "-"
		}
		fmt.Fprintf(out, "%s  %-60s turns=%d resolved_at=%s actions=%s handoffs=%d time=%s\n", status, r.Name, r.Turns, resolved, acts, r.Handoffs, r.Elapsed.Round(time.Millisecond))
		if r.Skipped != "" {
			fmt.Fprintf(out, "      %s\n", r.Skipped)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(out, "      %s\n", f)
		}
		unexpected += r.Unexpected
		actions += len(r.Actions)
		handoffs += r.Handoffs
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped; %d actions and %d handoffs, %d of them not expected by their turn\n",
		passed, len(results)-passed-skipped, skipped, actions, handoffs, unexpected)
	passed += skipped
	if passed != len(results) {
		return fmt.Errorf("%d scenario(s) failed", len(results)-passed)
	}
	return nil
}

// RunScenario plays a scenario against a server and checks every expectation, including that
// every action and handoff was expected by the turn that caused it.
func RunScenario(ctx context.Context, c *scenarioClient, sc *Scenario) ScenarioResult {
	start := time.Now()
	res := ScenarioResult{Name: sc.Name}
	fail := func(turn int, format string, args ...any) {
		res.Failures = append(res.Failures, fmt.Sprintf("turn %d: ", turn)+fmt.Sprintf(format, args...))
	}
	id, err := c.create(ctx, sc.Pack)
	if err != nil {
		fail(0, "create: %v", err)
		return res
	}
	var firstStyle map[string]any
	done, handed := 0, false
	for i, t := range sc.Turns {
		n := i + 1
		res.Turns = n
		files := map[string][]string{}
		for kind, paths := range map[string][]string{"image": t.Image, "audio": t.Audio, "video": t.Video} {
			for _, p := range paths {
				if !filepath.IsAbs(p) {
					p = filepath.Join(sc.dir, p)
				}
				files[kind] = append(files[kind], p)
			}
		}
		if t.Voice != nil {
			p, err := c.voiceFile(ctx, *t.Voice)
			if errors.Is(err, ErrNoSpeaker) || errors.Is(err, ErrScriptedRemote) {
				res.Skipped = err.Error()
				break
			}
			if err != nil {
				fail(n, "voice: %v", err)
				break
			}
			files["audio"] = append(files["audio"], p)
		}
		r, err := c.send(ctx, id, t.Text, files)
		if err != nil {
			fail(n, "send: %v", err)
			break
		}
		news := newActions(r.State, done)
		done += len(news)
		res.Actions = append(res.Actions, news...)
		if strings.Join(news, ",") != strings.Join(t.Expect.Actions, ",") {
			fail(n, "actions %v, want %v", news, t.Expect.Actions)
			res.Unexpected += max(0, len(news)-len(t.Expect.Actions))
		}
		if now := r.State["handoff"] == true; now && !handed {
			handed = true
			res.Handoffs++
			if t.Expect.Handoff == nil || !*t.Expect.Handoff {
				fail(n, "handed to a person, which this turn does not expect")
				res.Unexpected++
			}
		}
		if firstStyle == nil {
			firstStyle = r.Reply.Style
		}
		checkTurn(n, t.Expect, r, firstStyle, fail)
		if res.ResolvedAt == 0 && r.State["resolved"] == true {
			res.ResolvedAt = n
		}
	}
	res.Elapsed = time.Since(start)
	res.Passed = len(res.Failures) == 0 && res.Skipped == ""
	return res
}

// newActions returns the types of the actions in state after the first done.
func newActions(state map[string]any, done int) []string {
	all, _ := state["actions"].([]any)
	var out []string
	for i := done; i < len(all); i++ {
		a, _ := all[i].(map[string]any)
		out = append(out, fmt.Sprint(a["type"]))
	}
	return out
}

func checkTurn(n int, x Expect, r *turnReply, firstStyle map[string]any, fail func(int, string, ...any)) {
	var text strings.Builder
	types := map[string]bool{}
	for _, p := range r.Reply.Parts {
		text.WriteString(p.Text + " " + p.Title + " ")
		types[p.Type] = true
	}
	reply := strings.ToLower(text.String())
	for _, s := range x.ReplyContains {
		if !strings.Contains(reply, strings.ToLower(s)) {
			fail(n, "reply lacks %q: %s", s, strings.TrimSpace(text.String()))
		}
	}
	for _, s := range x.ReplyNotContains {
		if strings.Contains(reply, strings.ToLower(s)) {
			fail(n, "reply contains %q: %s", s, strings.TrimSpace(text.String()))
		}
	}
	for _, pt := range x.PartTypes {
		if !types[pt] {
			fail(n, "reply has no %s part", pt)
		}
	}
	if x.Skill != "" && r.State["skill"] != x.Skill {
		fail(n, "skill %v, want %s", r.State["skill"], x.Skill)
	}
	if x.Resolved != nil && (r.State["resolved"] == true) != *x.Resolved {
		fail(n, "resolved %v, want %v", r.State["resolved"], *x.Resolved)
	}
	if x.Handoff != nil && (r.State["handoff"] == true) != *x.Handoff {
		fail(n, "handoff %v, want %v", r.State["handoff"], *x.Handoff)
	}
	if x.FrustrationAbove != nil {
		aff, _ := r.State["affect"].(map[string]any)
		if f, _ := aff["frustration"].(float64); f <= *x.FrustrationAbove {
			fail(n, "frustration %.2f, want above %.2f", f, *x.FrustrationAbove)
		}
	}
	if x.StyleSlower {
		now, _ := r.Reply.Style["rate_wpm"].(float64)
		first, _ := firstStyle["rate_wpm"].(float64)
		if now >= first {
			fail(n, "speech rate %v is not slower than the first reply's %v", now, first)
		}
	}
	slots, _ := r.State["slots"].(map[string]any)
	for name, want := range x.Slots {
		sl, _ := slots[name].(map[string]any)
		if sl == nil {
			fail(n, "slot %s is empty", name)
			continue
		}
		if want.Value != nil && fmt.Sprint(sl["value"]) != fmt.Sprint(want.Value) {
			fail(n, "slot %s = %v, want %v", name, sl["value"], want.Value)
		}
		if want.Status != "" && sl["status"] != want.Status {
			fail(n, "slot %s is %v, want %s", name, sl["status"], want.Status)
		}
		mods := map[string]bool{}
		evs, _ := sl["evidence"].([]any)
		for _, e := range evs {
			if m, ok := e.(map[string]any); ok {
				mods[fmt.Sprint(m["modality"])] = true
			}
		}
		for _, m := range want.Modalities {
			if !mods[m] {
				b, _ := json.Marshal(evs)
				fail(n, "slot %s has no %s evidence: %s", name, m, b)
			}
		}
	}
}
