package dialogue

import (
	"fmt"
	"sort"
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// handoff puts the conversation in the human queue with a summary.
func (t *turn) handoff(why string) {
	st := t.st
	st.Handoff = true
	sum := Summary(st, t.pack)
	t.out.Handoff = &HandoffRequest{Reason: why, Summary: sum}
	t.out.Events = append(t.out.Events, Event{Type: "handoff", Data: t.out.Handoff})
	t.say("I'm connecting you with a person now. They'll see everything we've covered, so you won't need to repeat yourself.")
	t.parts = append(t.parts, Part{Type: "action", Text: "handoff", Title: "Waiting for a person"})
	st.Expect = perception.Expectation{Pack: st.Pack}
}

// Summary describes what the conversation knows, for the person taking over.
func Summary(st *State, pack *kb.Pack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pack %s.", st.Pack)
	if st.Skill != "" {
		title := st.Skill
		if f := pack.Flows[st.Skill]; f != nil && f.Title != "" {
			title = f.Title
		}
		fmt.Fprintf(&b, " Task: %s (step %s).", title, orDash(st.Step))
	}
	names := make([]string, 0, len(st.Slots))
	for n := range st.Slots {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sl := st.Slots[n]
		if sl.Value == nil {
			continue
		}
		mods, stages := map[media.Modality]bool{}, map[string]bool{}
		for _, ev := range sl.Evidence {
			mods[ev.Modality] = true
			stages[ev.Stage] = true
		}
		var ms, ss []string
		for m := range mods {
			ms = append(ms, string(m))
		}
		for s := range stages {
			ss = append(ss, s)
		}
		sort.Strings(ms)
		sort.Strings(ss)
		fmt.Fprintf(&b, " %s: %v (%s; %s; from %s).", n, sl.Value, sl.Status, strings.Join(ms, "+"), strings.Join(ss, ", "))
	}
	fmt.Fprintf(&b, " Frustration %.2f, confusion %.2f.", st.Affect.Frustration, st.Affect.Confusion)
	if len(st.LastTexts) > 0 {
		fmt.Fprintf(&b, " Last customer words: %q.", st.LastTexts[len(st.LastTexts)-1])
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clearRequest reports whether a request for a person may be acted on at once: typed or heard
// clearly, and not mixed into an answer to what the dialogue asked ("yes a human forty" is an
// answer with one uncertain word in it, not a request).
func (t *turn) clearRequest() bool {
	if t.answer != "" || t.answersSlot() {
		return false
	}
	h := t.hear("", "")
	return !h.spoken || h.confidence >= minHeard
}

// answersSlot reports whether the message carries a value for the slot the dialogue asked for.
func (t *turn) answersSlot() bool {
	x := t.st.Expect
	if x.Slot == "" && x.Type == "" {
		return false
	}
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindEntity && (o.Slot == x.Slot || o.Slot == x.Type) {
			return true
		}
	}
	return false
}

// askHandoff asks whether the customer wants a person, keeping the flow where it was.
func (t *turn) askHandoff() {
	st := t.st
	h := t.hear("", "")
	t.out.Events = append(t.out.Events, Event{Type: "handoff_question", Data: map[string]any{
		"intent_confidence": t.conf, "heard_confidence": h.confidence, "answer": t.answer}})
	st.Pending = "handoff"
	prev := st.Expect
	t.say("Do you want to talk to a person?")
	t.expect(perception.Expectation{Type: "yesno", Slot: prev.Slot})
}

// pendingHandoff takes the answer to "Do you want to talk to a person?": a yes hands off, a no
// goes back to the flow. It reports whether the turn is over.
func (t *turn) pendingHandoff() bool {
	st := t.st
	st.Pending = ""
	switch t.answer {
	case "yes":
		t.handoff("customer asked for a person")
		return true
	case "no":
		t.answer = ""
		t.say("OK, let's carry on.")
	}
	return false
}
