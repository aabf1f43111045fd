package dialogue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// heard builds what perception gives for a voice note: the transcript, and what text
// understanding read from it (each with the transcript's stage as its origin).
func heard(text string, conf float64, alts []string, read ...perception.Observation) []perception.Observation {
	src := perception.Source{MessageID: "v", Part: 1, Modality: media.ModVoice, Stage: "audio.asr"}
	tr := perception.Observation{Kind: perception.KindTranscript, Value: text, Confidence: conf, Source: src}
	for i, a := range alts {
		tr.Alts = append(tr.Alts, perception.Alternative{Value: a, Confidence: conf / float64(i+2)})
	}
	obs := []perception.Observation{tr}
	for _, o := range read {
		o.Source = perception.Source{MessageID: "v", Part: 1, Modality: media.ModVoice, Stage: "text.nlu", Origin: "audio.asr"}
		obs = append(obs, o)
	}
	return obs
}

func said(kind, slot string, v any, span string) perception.Observation {
	return perception.Observation{Kind: kind, Slot: slot, Value: v, Text: span, Confidence: 0.9}
}

func send(t *testing.T, e *dialogue.Engine, st *dialogue.State, id, typed string, obs []perception.Observation, kinds ...media.Kind) dialogue.Outcome {
	t.Helper()
	in := dialogue.Input{MessageID: id, Text: typed, Observations: obs, Kinds: kinds}
	for _, k := range kinds {
		m := media.ModImage
		if k == media.Audio {
			m = media.ModVoice
		}
		in.Modalities = append(in.Modalities, m)
	}
	out, err := e.Turn(context.Background(), st, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAtReadBack brings a bank conversation to the read-back of a $1,030.00 check whose fields
// were all read with confidence.
func checkAtReadBack(t *testing.T, e *dialogue.Engine, payeeConf float64) *dialogue.State {
	t.Helper()
	st := dialogue.NewState("bank")
	send(t, e, st, "m1", "I want to deposit a check", []perception.Observation{intent("deposit_check", 0.9, media.ModText)})
	img := func(slot string, v any, c float64) perception.Observation {
		return perception.Observation{Kind: perception.KindEntity, Slot: slot, Value: v, Confidence: c,
			Source: perception.Source{MessageID: "m2", Part: 1, Modality: media.ModImage, Stage: "image.check"}}
	}
	out := send(t, e, st, "m2", "", []perception.Observation{
		{Kind: perception.KindCheck, Value: map[string]any{}, Confidence: 0.9, Source: perception.Source{MessageID: "m2", Part: 1, Modality: media.ModImage, Stage: "image.check"}},
		img("amount", 1030.0, 0.9), img("payee", "Metro Electric Co.", payeeConf), img("date", "2026-09-27", 0.9), img("check_number", "3241", 0.95),
	}, media.Image)
	if payeeConf >= 0.9 && (st.Step != "confirm" || !strings.Contains(text(out.Reply), "$1,030.00")) {
		t.Fatalf("no read-back: step %q, %q", st.Step, text(out.Reply))
	}
	return st
}

func TestConfirmationActsOnlyOnAClearYesToTheValueReadBack(t *testing.T) {
	yes := func(span string) perception.Observation { return said(perception.KindAnswer, "", "yes", span) }
	amount := func(v float64, span string) perception.Observation {
		return said(perception.KindEntity, "amount", v, span)
	}
	for _, c := range []struct {
		name    string
		typed   string
		obs     []perception.Observation
		deposit bool
		reply   string // a part the reply must have
	}{
		{"typed yes", "yes", []perception.Observation{answer("yes", media.ModText)}, true, "Done"},
		{"clear spoken yes", "", heard("yes", 0.9, nil, yes("yes")), true, "Done"},
		{"spoken yes with the same amount", "", heard("yes ten thirty", 0.9, nil, yes("yes"), amount(1030, "ten thirty")), true, "Done"},
		{"yes with another amount", "", heard("yes two hundred", 0.9, nil, yes("yes"), amount(200, "two hundred")), false, "two different values for the amount"},
		{"typed yes with another amount", "yes, two hundred", []perception.Observation{answer("yes", media.ModText), entity("amount", 200.0, media.ModText)}, false, "two different values"},
		{"yes below the confidence threshold", "", heard("yes please do", 0.45, nil, yes("yes please")), false, "Just to be sure: deposit $1,030.00"},
		{"yes with a word not understood", "", heard("yes a banana", 0.9, nil, yes("yes")), false, "Just to be sure"},
		{"yes whose other reading has a number", "", heard("yes please do", 0.8, []string{"yes ten fifty"}, yes("yes please")), false, "Just to be sure"},
		{"yes whose other reading has more words", "", heard("yes", 0.6, []string{"yes i'm a conduit"}, yes("yes")), false, "Just to be sure"},
		{"yes echoing the read-back", "", heard("yes deposit it to checking", 0.9, nil, yes("yes")), true, "Done"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t)
			st := checkAtReadBack(t, e, 0.95)
			kinds := []media.Kind{}
			if c.typed == "" {
				kinds = append(kinds, media.Audio)
			}
			out := send(t, e, st, "v", c.typed, c.obs, kinds...)
			deposited := len(out.Actions) == 1 && out.Actions[0].Type == "deposit"
			if deposited != c.deposit {
				t.Fatalf("deposited %v, want %v: %q", deposited, c.deposit, text(out.Reply))
			}
			if !strings.Contains(text(out.Reply), c.reply) {
				t.Fatalf("reply %q lacks %q", text(out.Reply), c.reply)
			}
			if out.Handoff != nil {
				t.Fatal("handed off")
			}
		})
	}
}

func TestUnclearYesIsReadBackOnceThenNeedsAClearOne(t *testing.T) {
	e := engine(t)
	st := checkAtReadBack(t, e, 0.95)
	unclear := heard("yes please do", 0.4, nil, said(perception.KindAnswer, "", "yes", "yes please"))
	out := send(t, e, st, "v", "", unclear, media.Audio)
	if len(out.Actions) != 0 || !strings.Contains(text(out.Reply), "Just to be sure") {
		t.Fatalf("first unclear yes: %q %v", text(out.Reply), out.Actions)
	}
	out = send(t, e, st, "v", "", unclear, media.Audio)
	if len(out.Actions) != 0 || strings.Contains(text(out.Reply), "Just to be sure") || !strings.Contains(text(out.Reply), "type yes") {
		t.Fatalf("second unclear yes: %q %v", text(out.Reply), out.Actions)
	}
	out = send(t, e, st, "t", "yes", []perception.Observation{answer("yes", media.ModText)})
	if len(out.Actions) != 1 || out.Actions[0].Params["amount"] != 1030.0 {
		t.Fatalf("typed yes: %q %v", text(out.Reply), out.Actions)
	}
	ev := st.Slots["amount"].Evidence
	if last := ev[len(ev)-1]; last.Kind != "confirmation" || last.Modality != media.ModText {
		t.Fatalf("confirmation evidence %+v", last)
	}
}

func TestHandoffHeardInsideAnAnswerIsAskedFirst(t *testing.T) {
	human := func(c float64) perception.Observation { return intent("human", c, media.ModVoice) }
	for _, c := range []struct {
		name    string
		typed   string
		obs     []perception.Observation
		handoff bool
	}{
		{"typed clear request", "I want to talk to a person", []perception.Observation{intent("human", 0.9, media.ModText)}, true},
		{"spoken clear request", "", heard("i want to talk to a person", 0.85, nil, human(0.9)), true},
		{"human inside an amount", "", heard("yes a human forty", 0.8, nil, human(0.7), said(perception.KindAnswer, "", "yes", "yes"), said(perception.KindEntity, "amount", 40.0, "forty")), false},
		{"request heard with low confidence", "", heard("talk to a human", 0.3, nil, human(0.8)), false},
		{"typed request mixed into an answer", "yes a human forty", []perception.Observation{intent("human", 0.7, media.ModText), answer("yes", media.ModText)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t)
			st := checkAtReadBack(t, e, 0.95)
			out := send(t, e, st, "v", c.typed, c.obs)
			if (out.Handoff != nil) != c.handoff || st.Handoff != c.handoff {
				t.Fatalf("handoff %v, want %v: %q", out.Handoff != nil, c.handoff, text(out.Reply))
			}
			if len(out.Actions) != 0 {
				t.Fatalf("acted: %v", out.Actions)
			}
			if c.handoff {
				return
			}
			if !strings.Contains(text(out.Reply), "Do you want to talk to a person?") {
				t.Fatalf("not asked: %q", text(out.Reply))
			}
			// No: the flow goes on where it was, with the read-back again and nothing done.
			out = send(t, e, st, "n", "no", []perception.Observation{answer("no", media.ModText)})
			if out.Handoff != nil || len(out.Actions) != 0 || !strings.Contains(text(out.Reply), "$1,030.00") || st.Step != "confirm" {
				t.Fatalf("after no: step %q %q", st.Step, text(out.Reply))
			}
		})
	}
	// Yes to the question hands off.
	e := engine(t)
	st := checkAtReadBack(t, e, 0.95)
	send(t, e, st, "v", "", heard("yes a human forty", 0.8, nil, human(0.7), said(perception.KindAnswer, "", "yes", "yes")))
	if out := send(t, e, st, "y", "yes", []perception.Observation{answer("yes", media.ModText)}); out.Handoff == nil || len(out.Actions) != 0 {
		t.Fatalf("yes to the question: %q", text(out.Reply))
	}
}

func TestPayeeReadWithLowConfidenceIsAskedAbout(t *testing.T) {
	for _, c := range []struct {
		name  string
		typed string
		obs   []perception.Observation
		payee string
		step  string
	}{
		{"yes keeps it", "yes", []perception.Observation{answer("yes", media.ModText)}, "Metro Electric Co.", "confirm"},
		{"a typed name replaces it", "Metro Electric Company", nil, "Metro Electric Company", "confirm"},
		{"no with the name replaces it", "no, Metro Electric Company", []perception.Observation{answer("no", media.ModText)}, "Metro Electric Company", "confirm"},
		{"no alone asks for the name", "no", []perception.Observation{answer("no", media.ModText)}, "Metro Electric Co.", "verify:payee"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t)
			st := checkAtReadBack(t, e, 0.6)
			if st.Step != "verify:payee" || !strings.Contains(st.Asked, "made out to") {
				t.Fatalf("payee not asked about: step %q", st.Step)
			}
			out := send(t, e, st, "p", c.typed, c.obs)
			if st.Value("payee") != c.payee || st.Step != c.step || len(out.Actions) != 0 {
				t.Fatalf("payee %v step %q: %q", st.Value("payee"), st.Step, text(out.Reply))
			}
			if c.step == "confirm" && st.Status("payee") != dialogue.Confirmed {
				t.Fatalf("payee %s after the answer", st.Status("payee"))
			}
		})
	}
}

func TestPhotoGoesOnlyToTheReadersTheConversationNeeds(t *testing.T) {
	e := engine(t)
	for _, c := range []struct {
		pack, skill string
		want        []string
	}{
		{"bank", "", []string{"image.check"}},
		{"bank", "deposit_check", []string{"image.check"}},
		{"telecom", "", []string{"image.lights", "image.label"}},
		{"telecom", "internet_down", []string{"image.lights", "image.label"}},
		{"appliances", "fault", []string{"image.display", "image.label", "image.lights"}},
	} {
		st := dialogue.NewState(c.pack)
		st.Skill, st.Step = c.skill, "x"
		if got := e.Expectation(st).Images; strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s/%s: images %v, want %v", c.pack, c.skill, got, c.want)
		}
	}
	if r := dialogue.Readers(e.Packs); !r["image.check"] || !r["image.display"] || len(r) != 4 {
		t.Errorf("readers %v", r)
	}
}

func TestPhotoNoStageReadsGetsAnHonestReply(t *testing.T) {
	retake := []string{"the check", "check flat", "darker surface", "four corners"}
	for _, c := range []struct {
		name, pack, first string
		obs               []perception.Observation
		honest            bool
	}{
		{"telecom guide", "telecom", "my internet is down", nil, true},
		{"bank, no flow, not a check", "bank", "", []perception.Observation{
			{Kind: perception.KindQuality, Text: "lay the check flat on a darker surface", Confidence: 1, Source: perception.Source{Modality: media.ModImage, Stage: "image.check"}},
			{Kind: perception.KindNotCheck, Text: "this does not look like a check", Confidence: 0.9, Source: perception.Source{Modality: media.ModImage, Stage: "image.check"}}}, true},
		{"bank, dispute flow, not a check", "bank", "I want to dispute a charge", []perception.Observation{
			{Kind: perception.KindNotCheck, Text: "this does not look like a check", Confidence: 0.9, Source: perception.Source{Modality: media.ModImage, Stage: "image.check"}}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t)
			st := dialogue.NewState(c.pack)
			if c.first != "" {
				in := map[string]string{"my internet is down": "internet_down", "I want to dispute a charge": "dispute_charge"}[c.first]
				send(t, e, st, "m1", c.first, []perception.Observation{intent(in, 0.9, media.ModText)})
			}
			skill, asked := st.Skill, st.Asked
			out := send(t, e, st, "m2", "", c.obs, media.Image)
			r := strings.ToLower(text(out.Reply))
			if !strings.Contains(r, "i can see a photo, but i can't read it for this") {
				t.Fatalf("no honest reply: %q", r)
			}
			for _, w := range retake {
				if strings.Contains(r, w) {
					t.Fatalf("check advice %q outside a check flow: %q", w, r)
				}
			}
			if st.Skill != skill || (asked != "" && !strings.Contains(text(out.Reply), asked)) {
				t.Fatalf("flow %q -> %q, question %q not asked again: %q", skill, st.Skill, asked, text(out.Reply))
			}
		})
	}
	// In the deposit flow the check reader's advice stands.
	e := engine(t)
	st := dialogue.NewState("bank")
	send(t, e, st, "m1", "I want to deposit a check", []perception.Observation{intent("deposit_check", 0.9, media.ModText)})
	out := send(t, e, st, "m2", "", []perception.Observation{{Kind: perception.KindNotCheck, Text: "this does not look like a check", Confidence: 0.9, Source: perception.Source{Modality: media.ModImage, Stage: "image.check"}}}, media.Image)
	if !strings.Contains(text(out.Reply), "front of the check") {
		t.Fatalf("deposit flow: %q", text(out.Reply))
	}
}

func TestEvidenceNamesTheStageThatHeardTheWords(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("bank")
	send(t, e, st, "m1", "I want to dispute a charge", []perception.Observation{intent("dispute_charge", 0.9, media.ModText)})
	send(t, e, st, "v", "", heard("forty two ten", 0.9, nil, said(perception.KindEntity, "amount", 42.10, "forty two ten")), media.Audio)
	ev := st.Slots["amount"].Evidence[0]
	if ev.Stage != "audio.asr" || ev.Via != "text.nlu" || ev.Modality != media.ModVoice {
		t.Fatalf("evidence %+v", ev)
	}
	pack, _ := e.Packs.Pack("bank")
	if s := dialogue.Summary(st, pack); !strings.Contains(s, "amount: 42.1 (proposed; voice; from audio.asr)") {
		t.Fatalf("summary %q", s)
	}
}
