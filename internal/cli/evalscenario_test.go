package cli

import (
	"context"
	"path/filepath"
	"testing"
)

// TestShippedScenarios plays every scenario under scenarios/ against an in-process server.
func TestShippedScenarios(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	ctx := context.Background()
	c, err := connect(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, f := range files {
		sc, err := LoadScenario(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(sc.Name, func(t *testing.T) {
			if r := RunScenario(ctx, c, sc); !r.Passed {
				t.Errorf("%v", r.Failures)
			}
		})
	}
}

func TestScenarioFailuresAreReported(t *testing.T) {
	ctx := context.Background()
	c, err := connect(ctx, "", t.TempDir(), "")
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
