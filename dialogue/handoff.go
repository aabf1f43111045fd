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
		mods := map[media.Modality]bool{}
		for _, ev := range sl.Evidence {
			mods[ev.Modality] = true
		}
		var ms []string
		for m := range mods {
			ms = append(ms, string(m))
		}
		sort.Strings(ms)
		fmt.Fprintf(&b, " %s: %v (%s; %s).", n, sl.Value, sl.Status, strings.Join(ms, "+"))
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
