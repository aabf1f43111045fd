package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedScenarios plays every scenario under scenarios/ against an in-process server; every
// action and handoff must be one its turn expects.
func TestShippedScenarios(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	ctx := context.Background()
	c, err := connectScenarios(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	voices := 0
	for _, f := range files {
		sc, err := LoadScenario(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range sc.Turns {
			if tn.Voice != nil {
				voices++
				break
			}
		}
		t.Run(sc.Name, func(t *testing.T) {
			r := RunScenario(ctx, c, sc)
			if r.Skipped != "" {
				t.Skip(r.Skipped)
			}
			if !r.Passed {
				t.Errorf("%v", r.Failures)
			}
			if r.Unexpected != 0 {
				t.Errorf("%d actions or handoffs no turn expected", r.Unexpected)
			}
		})
	}
	if voices < 6 {
		t.Errorf("only %d scenarios with voice messages", voices)
	}
}

func TestScenarioFailuresAreReported(t *testing.T) {
	ctx := context.Background()
	c, err := connectScenarios(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	sc := &Scenario{Name: "wrong", Pack: "bank", Turns: []ScenarioTurn{{Text: "I lost my card", Expect: Expect{Skill: "balance", ReplyContains: []string{"zebra"}}}}}
	r := RunScenario(ctx, c, sc)
	if r.Passed || len(r.Failures) != 2 {
		t.Fatalf("failures %v", r.Failures)
	}
}

// TestUnexpectedActionsAndHandoffsFail holds scenarios to their turns: an action or a handoff
// that no turn expects fails the scenario and is counted.
func TestUnexpectedActionsAndHandoffsFail(t *testing.T) {
	ctx := context.Background()
	c, err := connectScenarios(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, c2 := range []struct {
		name  string
		turns []ScenarioTurn
		want  string
	}{
		{"action", []ScenarioTurn{
			{Text: "There's a charge of $42.10 from QuickMart on November 20, 2026 I don't recognize"},
			{Text: "It was from QuickMart"}, {Text: "November 20, 2026"}, {Text: "yes"}}, "actions [open_dispute], want []"},
		{"handoff", []ScenarioTurn{{Text: "I want to talk to a human"}}, "handed to a person"},
	} {
		r := RunScenario(ctx, c, &Scenario{Name: c2.name, Pack: "bank", Turns: c2.turns})
		if r.Passed || r.Unexpected != 1 || !strings.Contains(strings.Join(r.Failures, ";"), c2.want) {
			t.Errorf("%s: passed %v unexpected %d failures %v", c2.name, r.Passed, r.Unexpected, r.Failures)
		}
	}
}

// TestScriptedHearing checks that a turn's scripted hearing reaches the dialogue as a voice
// transcript, and that a spoken turn goes through the real recogniser.
func TestScriptedHearing(t *testing.T) {
	ctx := context.Background()
	c, err := connectScenarios(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	sc := &Scenario{Name: "heard", Pack: "bank", Turns: []ScenarioTurn{
		{Text: "I want to dispute a charge"},
		{Voice: &Voice{Say: "forty two dollars and ten cents", Heard: "forty two dollars and ten cents", Confidence: 0.9},
			Expect: Expect{Slots: map[string]SlotExpect{"amount": {Value: 42.1, Modalities: []string{"voice"}}}}},
	}}
	if r := RunScenario(ctx, c, sc); !r.Passed {
		t.Fatalf("%v %s", r.Failures, r.Skipped)
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
	id, err := c.create(ctx, "bank")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.voiceFile(ctx, Voice{Say: "I want to deposit a check"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.send(ctx, id, "", map[string][]string{"audio": {p}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Reply.Parts) == 0 {
		t.Fatal("no reply to a spoken message")
	}
}
