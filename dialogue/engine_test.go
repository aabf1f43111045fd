package dialogue_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
)

func engine(t testing.TB) *dialogue.Engine {
	t.Helper()
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return &dialogue.Engine{Packs: lib}
}

func intent(name string, conf float64, m media.Modality) perception.Observation {
	return perception.Observation{Kind: perception.KindIntent, Value: name, Confidence: conf, Source: perception.Source{Modality: m, Stage: "text.nlu"}}
}

func entity(slot string, v any, m media.Modality) perception.Observation {
	return perception.Observation{Kind: perception.KindEntity, Slot: slot, Value: v, Confidence: 0.9, Source: perception.Source{Modality: m, Stage: "test"}}
}

func answer(v string, m media.Modality) perception.Observation {
	return perception.Observation{Kind: perception.KindAnswer, Value: v, Confidence: 0.9, Source: perception.Source{Modality: m, Stage: "text.nlu"}}
}

func text(r dialogue.Reply) string { return r.Text() }

func turn(t *testing.T, e *dialogue.Engine, st *dialogue.State, obs ...perception.Observation) dialogue.Outcome {
	t.Helper()
	out, err := e.Turn(context.Background(), st, dialogue.Input{MessageID: "m", Text: "x", Observations: obs})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckDepositConfirmedAcrossModalities(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	out := turn(t, e, st, intent("deposit_check", 0.9, media.ModText), entity("amount", 1250.75, media.ModText))
	if st.Skill != "deposit_check" || st.Status("amount") != dialogue.Proposed {
		t.Fatalf("skill %q amount %q", st.Skill, st.Status("amount"))
	}
	if !strings.Contains(text(out.Reply), "photo") {
		t.Fatalf("no photo request: %q", text(out.Reply))
	}
	reading := map[string]any{"verification": []map[string]string{
		{"name": "routing_checksum", "status": "pass", "detail": "valid"},
		{"name": "date_valid", "status": "uncertain", "detail": "the date is more than six months ago"},
	}}
	out = turn(t, e, st,
		perception.Observation{Kind: perception.KindCheck, Value: reading, Confidence: 0.9, Source: perception.Source{Modality: media.ModImage}},
		entity("amount", 1250.75, media.ModImage), entity("payee", "ACME Corporation", media.ModImage),
		entity("date", "2026-11-20", media.ModImage), entity("check_number", "1043", media.ModImage))
	if st.Status("amount") != dialogue.Confirmed {
		t.Fatalf("text+image agreement did not confirm: %q", st.Status("amount"))
	}
	r := text(out.Reply)
	for _, want := range []string{"$1,250.75", "ACME Corporation", "Nov 20, 2026", "1043", "checking ending 1234"} {
		if !strings.Contains(r, want) {
			t.Errorf("read-back %q lacks %q", r, want)
		}
	}
	if !strings.Contains(r, "more than six months") || strings.Contains(r, "valid;") {
		t.Errorf("verification doubts not told: %q", r)
	}
	if st.Expect.Type != "yesno" {
		t.Fatalf("expectation %+v", st.Expect)
	}
	out = turn(t, e, st, answer("yes", media.ModVoice))
	if len(out.Actions) != 1 || out.Actions[0].Type != "deposit" {
		t.Fatalf("no deposit: %+v; reply %q", out.Actions, text(out.Reply))
	}
	for _, s := range []string{"amount", "payee", "date", "check_number"} {
		if st.Status(s) != dialogue.Confirmed {
			t.Errorf("%s is %s after yes", s, st.Status(s))
		}
	}
	if r := strings.ToLower(text(out.Reply)); strings.Contains(r, "how much") || strings.Contains(r, "amount of the check") {
		t.Fatalf("asked again: %q", r)
	}
}

func TestConflictAsksOneTargetedQuestion(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	turn(t, e, st, intent("deposit_check", 0.9, media.ModText))
	turn(t, e, st, perception.Observation{Kind: perception.KindCheck, Source: perception.Source{Modality: media.ModImage}}, entity("amount", 1250.75, media.ModImage))
	out := turn(t, e, st, answer("yes", media.ModVoice), entity("amount", 1200.0, media.ModVoice))
	if st.Status("amount") != dialogue.Conflict {
		t.Fatalf("status %q", st.Status("amount"))
	}
	r := text(out.Reply)
	if !strings.Contains(r, "$1,250.75") || !strings.Contains(r, "$1,200.00") || st.Expect.Slot != "amount" {
		t.Fatalf("conflict question %q expect %+v", r, st.Expect)
	}
	turn(t, e, st, entity("amount", 1250.75, media.ModVoice))
	if st.Status("amount") != dialogue.Confirmed || !dialogue.Same(st.Value("amount"), 1250.75) {
		t.Fatalf("answer did not resolve: %q %v", st.Status("amount"), st.Value("amount"))
	}
}

func TestAlternativeReadingAgrees(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	turn(t, e, st, intent("deposit_check", 0.9, media.ModText))
	turn(t, e, st, perception.Observation{Kind: perception.KindCheck, Source: perception.Source{Modality: media.ModImage}}, entity("amount", 1250.0, media.ModImage))
	o := entity("amount", 12.5, media.ModVoice)
	o.Alts = []perception.Alternative{{Value: 1250.0, Confidence: 0.5}}
	turn(t, e, st, answer("yes", media.ModVoice), o)
	if st.Status("amount") != dialogue.Confirmed || !dialogue.Same(st.Value("amount"), 1250.0) {
		t.Fatalf("twelve fifty did not confirm $1,250: %q %v", st.Status("amount"), st.Value("amount"))
	}
}

func cue(f, c float64) perception.Observation {
	return perception.Observation{Kind: perception.KindAffectCue, Value: map[string]float64{"frustration": f, "confusion": c}, Source: perception.Source{Modality: media.ModText, Stage: "text.cues"}}
}

func TestFrustrationSlowsAndSimplifiesGuide(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("telecom")
	r1 := turn(t, e, st, intent("internet_down", 0.9, media.ModText)).Reply
	if r1.Style.StepsPerMessage < 2 || !strings.Contains(r1.Text(), "Step 1") || !strings.Contains(r1.Text(), "Step 2") {
		t.Fatalf("calm reply %+v", r1)
	}
	r2 := turn(t, e, st, answer("no", media.ModText), cue(0.9, 0)).Reply
	if !strings.Contains(r2.Text(), "sorry") {
		t.Fatalf("frustration not acknowledged: %q", r2.Text())
	}
	r3 := turn(t, e, st, answer("no", media.ModText), cue(0.7, 0.8)).Reply
	if st.Affect.Frustration <= 0.5 || r3.Style.RateWPM >= r1.Style.RateWPM || !r3.Style.Simplified || r3.Style.StepsPerMessage != 1 {
		t.Fatalf("affect %+v style %+v", st.Affect, r3.Style)
	}
	if !r3.Style.VisualFirst || r3.Parts[0].Type != "image" {
		t.Fatalf("confused customer not given a picture first: %+v", r3.Parts)
	}
}

func TestOneFrameDoesNotFlipStyle(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("telecom")
	angry := perception.Observation{Kind: perception.KindEmotion, Value: map[string]float64{"angry": 0.9, "neutral": 0.1}, Source: perception.Source{Modality: media.ModVideo}}
	e.Observe(st, []perception.Observation{angry})
	if st.Affect.FrustrationHigh {
		t.Fatal("one frame flipped frustration")
	}
	now := time.Now()
	e.Now = func() time.Time { return now }
	for i := 0; i < 10; i++ { // two seconds at 5 fps
		now = now.Add(200 * time.Millisecond)
		e.Observe(st, []perception.Observation{angry})
	}
	if !st.Affect.FrustrationHigh {
		t.Fatalf("sustained anger not seen: %+v", st.Affect)
	}
	calm := perception.Observation{Kind: perception.KindEmotion, Value: map[string]float64{"neutral": 0.95}, Source: perception.Source{Modality: media.ModVideo}}
	for i := 0; i < 15; i++ {
		now = now.Add(200 * time.Millisecond)
		e.Observe(st, []perception.Observation{calm})
	}
	if st.Affect.FrustrationHigh {
		t.Fatalf("did not calm down: %+v", st.Affect)
	}
}

func TestFaultDiagnosisProducesReportGuideAndParts(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("appliances")
	out := turn(t, e, st, intent("fault", 0.9, media.ModVideo), entity("product", "washer", media.ModVideo), entity("error_code", "E21", media.ModVideo))
	kinds := map[string]int{}
	var order []string
	for _, p := range out.Reply.Parts {
		kinds[p.Type]++
		if p.Type == "document" && (p.MIME != "application/pdf" || !bytes.HasPrefix(p.Data, []byte("%PDF"))) {
			t.Errorf("document %q is %s, not a PDF", p.Title, p.MIME)
		}
		if p.Type == "document" || p.Type == "link" {
			order = append(order, p.Type)
		}
	}
	// report and guide as PDF documents, the order link, then the two web pages as links
	if kinds["document"] != 2 || kinds["link"] != 3 || kinds["image"] == 0 || strings.Join(order[:3], ",") != "document,document,link" {
		t.Fatalf("parts %v %v: %q", kinds, order, out.Reply.Text())
	}
	if !strings.Contains(out.Reply.Text(), "drain") {
		t.Fatalf("diagnosis %q", out.Reply.Text())
	}
	// The guide PDF carries the pictures of its steps, rasterised from the pack's SVGs.
	for _, p := range out.Reply.Parts {
		if p.Type == "document" && strings.HasPrefix(p.Title, "Repair guide") {
			if n := bytes.Count(p.Data, []byte("/Subtype /Image")); n == 0 {
				t.Errorf("guide %q has no pictures", p.Title)
			}
		}
	}
}

func TestHandoffSummary(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	turn(t, e, st, intent("dispute_charge", 0.9, media.ModText), entity("amount", 42.0, media.ModText))
	out := turn(t, e, st, intent("human", 0.9, media.ModText))
	if out.Handoff == nil || !strings.Contains(out.Handoff.Summary, "amount: 42") || !st.Handoff {
		t.Fatalf("handoff %+v", out.Handoff)
	}
}

func TestSideQuestionKeepsTheFlow(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	turn(t, e, st, intent("dispute_charge", 0.9, media.ModText))
	out := turn(t, e, st, intent("hours", 0.9, media.ModText))
	r := text(out.Reply)
	if st.Skill != "dispute_charge" || !strings.Contains(r, "Saturday") || !strings.Contains(r, "amount of the charge") {
		t.Fatalf("skill %q reply %q", st.Skill, r)
	}
}
