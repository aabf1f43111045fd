package dialogue

import (
	"sort"
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/perception"
)

// minHeard is the transcript confidence under which a spoken yes is read back once more before
// anything is done; it is the recogniser's own mark of a low-confidence result.
const minHeard = 0.6

// typedConfidence is the confidence of an answer the customer typed.
const typedConfidence = 0.95

// hearing is how surely the words of a message were understood.
type hearing struct {
	// spoken is set when some of the words came from speech recognition.
	spoken bool
	// confidence is the lowest confidence of the message's transcripts (typedConfidence when typed).
	confidence float64
	// residue lists the spoken words that nothing understood accounts for, in the transcript or
	// in another reading of it that gives the same answer with more words.
	residue []string
	// differ is set when another likely reading of the speech (at least half as confident) means
	// something else: the other answer, or a value.
	differ bool
}

// clear reports whether the words may be acted on: typed, or heard with confidence, every word
// understood and no competing reading.
func (h hearing) clear() bool {
	return !h.spoken || h.confidence >= minHeard && len(h.residue) == 0 && !h.differ
}

// why explains an unclear hearing, for the event trail.
func (h hearing) why() []string {
	var out []string
	if h.spoken && h.confidence < minHeard {
		out = append(out, "low recognition confidence")
	}
	if len(h.residue) > 0 {
		out = append(out, "words not understood: "+strings.Join(h.residue, " "))
	}
	if h.differ {
		out = append(out, "another reading of the speech means something else")
	}
	return out
}

// hear judges the message's transcripts. context is what the customer is answering: its words
// may be echoed without counting as not understood. focus is the expectation type the answer's
// values are read with ("amount").
func (t *turn) hear(context, focus string) hearing {
	h := hearing{confidence: typedConfidence}
	for _, o := range t.in.Observations {
		text, _ := o.Value.(string)
		if o.Kind != perception.KindTranscript || strings.TrimSpace(text) == "" {
			continue
		}
		if !h.spoken || o.Confidence < h.confidence {
			h.confidence = o.Confidence
		}
		h.spoken = true
		var covered []string
		for _, x := range t.in.Observations {
			if x.Source.MessageID == o.Source.MessageID && x.Source.Part == o.Source.Part && x.Source.Origin == o.Source.Stage &&
				(x.Kind == perception.KindAnswer || x.Kind == perception.KindEntity) && x.Text != "" {
				covered = append(covered, x.Text)
			}
		}
		h.residue = append(h.residue, nlu.Residue(text, covered, context)...)
		primary := gist(text, focus)
		for _, a := range o.Alts {
			s, _ := a.Value.(string)
			if s == "" {
				continue
			}
			g := gist(s, focus)
			switch {
			case g == primary && g != "":
				// The same answer with more words after it ("yes i'm a conduit" next to "yes"):
				// the recogniser heard words that the chosen reading left out.
				h.residue = append(h.residue, nlu.Residue(s, coveredIn(s, focus), context)...)
			case g != "" && a.Confidence >= o.Confidence/2:
				// a likely reading that means something else: the other answer, or a value
				h.differ = true
			}
		}
	}
	return h
}

// coveredIn returns the spans of text that text understanding accounts for: its answer and
// its values.
func coveredIn(text, focus string) []string {
	var out []string
	if a, ok := nlu.ParseYesNo(text, true); ok {
		out = append(out, text[:a.End])
	}
	for _, e := range nlu.Extract(text, nlu.ExtractOptions{Expect: focus}) {
		out = append(out, e.Text)
	}
	return out
}

// gist is what a short reply means for a confirmation: its yes or no and the values in it.
func gist(text, focus string) string {
	var parts []string
	if a, ok := nlu.ParseYesNo(text, true); ok {
		parts = append(parts, a.Value)
	}
	for _, e := range nlu.Extract(text, nlu.ExtractOptions{Expect: focus}) {
		parts = append(parts, e.Type+"="+Canonical(e.Value))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// readBack states the values the flow's action will use and waits for a yes to exactly them.
func (t *turn) readBack(flow *kb.Flow) {
	st := t.st
	st.Step = "confirm"
	st.ReadBack = map[string]string{}
	for _, name := range flow.Confirm.Slots {
		if st.Has(name) {
			st.ReadBack[name] = Canonical(st.Value(name))
		}
	}
	st.Signals["read_again"] = 0
	t.say(t.fillFlow(flow, flow.Confirm.Prompt))
	if len(t.doubts) > 0 {
		t.say("Before you confirm, please check: " + strings.Join(t.doubts, "; ") + ". If something is wrong, send a new photo or tell me the right value.")
	}
	if c := t.crops["amount"]; c != nil {
		t.parts = append(t.parts, Part{Type: "image", Title: "Amount on the check", MIME: c.ContentType, Data: c.Data, URL: c.URL})
	}
	t.expect(confirmExpectation(flow))
}

// confirmExpectation waits for a yes or no to a read-back; when the read-back states an amount, a
// number said with the answer ("yes, two hundred") is read as an amount.
func confirmExpectation(flow *kb.Flow) perception.Expectation {
	x := perception.Expectation{Type: "yesno"}
	for _, name := range flow.Confirm.Slots {
		if s := flow.Slot(name); s != nil && s.Type == "amount" {
			x.Slot = name
			break
		}
	}
	return x
}

// again is the short read-back said before acting on a yes that was not heard clearly.
func (t *turn) again(flow *kb.Flow) string {
	tmpl := flow.Confirm.Again
	if tmpl == "" {
		tmpl = flow.Confirm.Prompt
	}
	return "Just to be sure: " + t.fillFlow(flow, tmpl)
}

// confirmYes takes a yes to the read-back. The values are confirmed only when the message states
// no other value for them and the yes was understood clearly; a yes with a different value gets
// one targeted question, an unclear yes is read back once more. It reports whether the values are
// now confirmed.
func (t *turn) confirmYes(flow *kb.Flow) bool {
	st := t.st
	if s := t.contradicted(flow); s != nil {
		t.askConflict(*s)
		return false
	}
	context := t.fillFlow(flow, flow.Confirm.Prompt) + " " + t.fillFlow(flow, flow.Confirm.Again)
	focus := ""
	if confirmExpectation(flow).Slot != "" {
		focus = "amount"
	}
	h := t.hear(context, focus)
	if !h.clear() {
		t.out.Events = append(t.out.Events, Event{Type: "confirmation", Data: map[string]any{
			"answer": "yes", "acted": false, "confidence": h.confidence, "why": h.why()}})
		if st.Signals["read_again"] == 0 {
			st.Signals["read_again"] = 1
			t.say(t.again(flow))
		} else {
			t.say("Sorry, I still couldn't hear that clearly, so I haven't done anything yet. Please type yes to go ahead, or no.")
		}
		t.expect(confirmExpectation(flow))
		return false
	}
	t.confirmAll(flow, h)
	return true
}

// contradicted returns the read-back slot for which this message gave another value than the
// one read back, or nil.
func (t *turn) contradicted(flow *kb.Flow) *kb.SlotSpec {
	st := t.st
	for _, name := range flow.Confirm.Slots {
		want, ok := st.ReadBack[name]
		sl := st.Slots[name]
		if !ok || sl == nil {
			continue
		}
		for _, ev := range sl.Evidence {
			if ev.MessageID == t.in.MessageID && ev.Kind == "observed" && Canonical(ev.Value) != want {
				return flow.Slot(name)
			}
		}
	}
	return nil
}

// confirmAll records the customer's clear yes as confirming every read-back slot.
func (t *turn) confirmAll(flow *kb.Flow, h hearing) {
	if flow.Confirm == nil {
		return
	}
	for _, name := range flow.Confirm.Slots {
		if !t.st.Has(name) || t.st.Status(name) == Conflict {
			continue
		}
		o := perception.Observation{Confidence: h.confidence, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.answerM, Stage: "dialogue.confirmation"}}
		t.evidence(name, t.st.Value(name), o, "confirmation")
	}
}
