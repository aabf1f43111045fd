package dialogue

import (
	"fmt"
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/perception"
)

// minField is the confidence under which free text read from a document (the payee on a check) is
// asked about before the read-back. Measured on generated check photos with the crop-read payee
// (gen checks --seed 5 --n 30 --degrade photo): of the 5 under 0.85, 1 was wrong; of the 25 above,
// 24 were exact (the one wrong name had lost a word, "Street Auto Repair", at 0.958).
const minField = 0.85

// doubtful reports whether a free-text slot's value rests only on a document reading of low
// confidence that the customer has not been asked about. Amounts, dates and numbers are read
// against their format (and an amount against its words) and come back in the read-back.
func (t *turn) doubtful(flow *kb.Flow, name string) bool {
	st := t.st
	sl := st.Slots[name]
	if s := flow.Slot(name); s == nil || expectType(s.Type) != "text" {
		return false
	}
	if sl == nil || sl.Value == nil || sl.Status != Proposed || st.Signals["verified:"+name] > 0 {
		return false
	}
	best := 0.0
	for _, ev := range sl.Evidence {
		if ev.Kind != "observed" || ev.Modality != media.ModImage || !Same(ev.Value, sl.Value) {
			return false
		}
		best = max(best, ev.Confidence)
	}
	return best < minField
}

// verify asks about one value read with low confidence.
func (t *turn) verify(flow *kb.Flow, name string) {
	st := t.st
	st.Step = "verify:" + name
	st.Signals["verified:"+name] = 1
	s := flow.Slot(name)
	label := strings.ReplaceAll(name, "_", " ")
	t.say(fmt.Sprintf("I'm not sure I read the %s right: %q. Is that right?", label, FormatValue(s.Type, st.Value(name))))
	if s.Prompt != "" {
		t.say("If not, tell me: " + lowerFirst(s.Prompt))
	}
	t.expect(perception.Expectation{Slot: name, Type: "yesno"})
}

// verifyAnswer takes the answer to verify: a clear yes confirms the value, a value said or typed
// replaces it, a no asks for it. It reports whether the flow may go on.
func (t *turn) verifyAnswer(flow *kb.Flow, name string) bool {
	st := t.st
	s := flow.Slot(name)
	if s == nil {
		return true
	}
	text := t.afterAnswer()
	h := t.hear(t.fillFlow(flow, s.Prompt), expectType(s.Type))
	src := perception.Source{MessageID: t.in.MessageID, Modality: t.textModality(), Stage: "dialogue.confirmation"}
	switch {
	case t.answer == "yes" && h.clear():
		t.evidence(name, st.Value(name), perception.Observation{Confidence: h.confidence, Source: src}, "confirmation")
		return true
	case t.answer != "yes" && text != "" && !h.spoken:
		// typed in answer to the question about it: the customer's own value
		src.Stage = "dialogue.free_text"
		t.evidence(name, text, perception.Observation{Confidence: h.confidence, Source: src}, "confirmation")
		return true
	case t.answer != "yes" && text != "" && h.clear():
		// heard: a value like any other, which the read-back (or a conflict question) confirms
		src.Stage = "dialogue.free_text"
		t.evidence(name, text, perception.Observation{Confidence: h.confidence, Source: src}, "observed")
		return true
	}
	if t.answer == "no" {
		t.say(t.simple(s.Prompt, s.Simple))
	} else {
		t.say("Sorry, I didn't catch that. " + t.simple(s.Prompt, s.Simple))
	}
	if s.Prompt == "" {
		t.say("Please type the " + strings.ReplaceAll(name, "_", " ") + ".")
	}
	t.expect(perception.Expectation{Slot: name, Type: "text"})
	return false
}

// lowerFirst lower-cases the first letter of s, to run a prompt on from a clause.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// afterAnswer returns the customer's words after a leading yes or no ("no, it's Metro Electric
// Co." gives "it's Metro Electric Co."), or all of them when there is no answer.
func (t *turn) afterAnswer() string {
	text := strings.TrimSpace(t.customerText())
	if t.answer != "" {
		if a, ok := nlu.ParseYesNo(text, true); ok && a.Value == t.answer {
			text = text[a.End:]
		}
	}
	return strings.TrimSpace(strings.TrimLeft(text, " ,.;:!-"))
}
