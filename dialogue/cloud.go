package dialogue

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/parleyhq/parley/reason"
)

// Limits on what an open question takes to the reasoner: the cloud sees only what it needs.
const (
	maxEvidence   = 12
	maxImages     = 2
	maxImageBytes = 512 << 10
)

// query is the open question with what the router decides on (the intent's confidence, whether
// a flow covers the turn) and what the cloud may use: the slots' evidence, masked, and the crops
// perception cut from this message's photos.
func (t *turn) query(text string) reason.Query {
	return reason.Query{Pack: t.st.Pack, Text: text, IntentConfidence: t.intentConfidence(), FlowCovers: t.flowCovers(),
		Evidence: t.cloudEvidence(), Images: t.cloudImages()}
}

// intentConfidence is how sure the turn is of an intent the pack handles; an out-of-scope
// intent, however sure, counts as none, since it is what the cloud is for.
func (t *turn) intentConfidence() float64 {
	if _, ok := t.pack.Intents[t.intent]; !ok || t.intent == "oos" {
		return 0
	}
	return t.conf
}

// flowCovers reports whether a pack flow handles the turn: the intent, recognised well enough,
// starts one, or one is under way.
func (t *turn) flowCovers() bool {
	minIntent := t.e.MinIntent
	if minIntent == 0 {
		minIntent = 0.45
	}
	if in, ok := t.pack.Intents[t.intent]; ok && t.conf >= minIntent && in.Flow != "" && t.pack.Flows[in.Flow] != nil {
		return true
	}
	return t.st.Skill != "" && t.st.Step != "done" && t.pack.Flows[t.st.Skill] != nil
}

// cloudEvidence lists what the conversation knows, one fact a line, with long numbers masked.
func (t *turn) cloudEvidence() []string {
	st := t.st
	var out []string
	if st.Skill != "" {
		out = append(out, fmt.Sprintf("task: %s (step %s)", st.Skill, orDash(st.Step)))
	}
	names := make([]string, 0, len(st.Slots))
	for n, sl := range st.Slots {
		if sl != nil && sl.Value != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		sl := st.Slots[n]
		var mods []string
		for _, ev := range sl.Evidence {
			if m := string(ev.Modality); m != "" && !slices.Contains(mods, m) {
				mods = append(mods, m)
			}
		}
		out = append(out, reason.Mask(fmt.Sprintf("%s: %v (%s; from %s)", n, sl.Value, sl.Status, strings.Join(mods, "+"))))
	}
	if a := st.Affect; a.Frustration > 0.3 || a.Confusion > 0.3 {
		out = append(out, fmt.Sprintf("customer frustration %.2f, confusion %.2f", a.Frustration, a.Confusion))
	}
	if len(out) > maxEvidence {
		out = out[:maxEvidence]
	}
	return out
}

// cloudImages returns this message's crops (already cut to a document or a display), smallest
// first, within the image limits.
func (t *turn) cloudImages() []reason.Image {
	names := make([]string, 0, len(t.crops))
	for n, a := range t.crops {
		if a != nil && len(a.Data) > 0 && len(a.Data) <= maxImageBytes && strings.HasPrefix(a.ContentType, "image/") {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := t.crops[names[i]], t.crops[names[j]]
		return len(a.Data) < len(b.Data) || len(a.Data) == len(b.Data) && names[i] < names[j]
	})
	var out []reason.Image
	for _, n := range names {
		if len(out) == maxImages {
			break
		}
		out = append(out, reason.Image{Data: t.crops[n].Data, ContentType: t.crops[n].ContentType})
	}
	return out
}

// actOn carries out what the reasoner proposed through the dialogue's own flows and reports
// whether it did: a proposed handoff hands off, a proposed order starts the pack's order flow,
// which asks what it needs and leaves the order to the customer's confirmation. Nothing is
// executed on the model's word alone.
func (t *turn) actOn(actions []reason.ToolAction) bool {
	for _, a := range actions {
		switch a.Type {
		case "handoff":
			if t.st.Handoff {
				continue
			}
			why := "the cloud model proposed a handoff"
			if r := strings.TrimSpace(a.Args["reason"]); r != "" {
				why += ": " + r
			}
			t.out.Events = append(t.out.Events, Event{Type: "proposal", Data: map[string]any{"action": a, "acted": "handoff"}})
			t.handoff(why)
			return true
		case "order":
			flow := t.orderFlow()
			if flow == "" {
				t.out.Events = append(t.out.Events, Event{Type: "proposal", Data: map[string]any{"action": a, "acted": "", "why": "the pack has no order flow"}})
				continue
			}
			t.out.Events = append(t.out.Events, Event{Type: "proposal", Data: map[string]any{"action": a, "acted": "flow " + flow}})
			if flow != t.st.Skill || t.st.Step == "done" {
				t.startFlow(flow)
			}
			t.advance()
			return true
		}
	}
	return false
}

// orderFlow names the pack's flow that orders parts, if it has one.
func (t *turn) orderFlow() string {
	names := make([]string, 0, len(t.pack.Flows))
	for n := range t.pack.Flows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if f := t.pack.Flows[n]; f.Action != nil && (f.Action.Type == "parts_link" || f.Action.Type == "order") {
			return n
		}
	}
	return ""
}
