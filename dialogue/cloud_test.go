package dialogue_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/reason"
)

// proposer is a reasoner that answers every open question with a fixed text and proposals, and
// keeps the queries it was asked.
type proposer struct {
	actions []reason.ToolAction
	asked   []reason.Query
}

func (p *proposer) Respond(_ context.Context, q reason.Query) (reason.Answer, error) {
	p.asked = append(p.asked, q)
	return reason.Answer{Text: "Here is what I found.", Confident: true, By: "cloud", Actions: p.actions}, nil
}

func TestOpenQuestionCarriesTheRouterInputs(t *testing.T) {
	e := engine(t)
	p := &proposer{}
	e.Reasoner = p
	st := dialogue.NewState("bank")
	st.Slots["account"] = &dialogue.Slot{Value: "123456789012", Status: dialogue.Proposed,
		Evidence: []dialogue.Evidence{{Value: "123456789012", Modality: media.ModText, Stage: "test"}}}
	crop := &perception.Attachment{Name: "document.png", ContentType: "image/png", Data: []byte("\x89PNG fake")}
	in := dialogue.Input{MessageID: "m1", Text: "why would a bank hold my money for so long and what can I do about it",
		Observations: []perception.Observation{intent("oos", 0.97, media.ModText), {Kind: perception.KindArtifact, Attachment: crop}}}
	if _, err := e.Turn(context.Background(), st, in); err != nil {
		t.Fatal(err)
	}
	if len(p.asked) != 1 {
		t.Fatalf("reasoner asked %d times", len(p.asked))
	}
	q := p.asked[0]
	if q.IntentConfidence != 0 || q.FlowCovers || q.Pack != "bank" { // out of scope, however sure, is no intent
		t.Errorf("query %+v", q)
	}
	joined := strings.Join(q.Evidence, "\n")
	if !strings.Contains(joined, "account: ") || regexp.MustCompile(`\d{7,}`).MatchString(joined) {
		t.Errorf("evidence not there or not masked: %q", q.Evidence)
	}
	if len(q.Images) != 1 || q.Images[0].ContentType != "image/png" {
		t.Errorf("crops %+v", q.Images)
	}
}

func TestCloudProposalsGoThroughTheFlows(t *testing.T) {
	for _, tc := range []struct {
		name, pack string
		action     reason.ToolAction
		check      func(t *testing.T, st *dialogue.State, out dialogue.Outcome)
	}{
		{"handoff hands off", "bank", reason.ToolAction{Type: "handoff", Args: map[string]string{"reason": "disputed charge"}},
			func(t *testing.T, st *dialogue.State, out dialogue.Outcome) {
				if out.Handoff == nil || !st.Handoff || !strings.Contains(out.Handoff.Reason, "disputed charge") {
					t.Fatalf("no handoff: %+v", out.Handoff)
				}
			}},
		{"order starts the order flow", "appliances", reason.ToolAction{Type: "order", Args: map[string]string{"part_number": "WP-2101", "quantity": "1"}},
			func(t *testing.T, st *dialogue.State, out dialogue.Outcome) {
				if st.Skill != "order_part" || len(out.Actions) != 0 || !strings.Contains(text(out.Reply), "washing machine or your dishwasher") {
					t.Fatalf("skill %q actions %+v reply %q", st.Skill, out.Actions, text(out.Reply))
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t)
			e.Reasoner = &proposer{actions: []reason.ToolAction{tc.action}}
			st := dialogue.NewState(tc.pack)
			out, err := e.Turn(context.Background(), st, dialogue.Input{MessageID: "m1", Text: "something rather unusual happened and I would like advice on what to do next"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text(out.Reply), "Here is what I found.") {
				t.Fatalf("reply %q", text(out.Reply))
			}
			tc.check(t, st, out)
		})
	}
}
