package dialogue

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// fuseSlots turns entity observations into evidence on the active flow's slots.
func (t *turn) fuseSlots() {
	st := t.st
	flow := t.pack.Flows[st.Skill]
	for _, o := range t.frameVotes() {
		switch {
		case flow != nil && flow.Upload != nil && o.Kind == flow.Upload.Observation:
			st.Signals["uploaded"] = 1
			t.doubts = append(t.doubts, doubts(o.Value)...)
		case o.Kind == perception.KindEntity:
			name, value := t.slotFor(flow, o)
			if name == "" || t.unknownBesideKnown(flow, name, value) {
				continue
			}
			t.evidence(name, value, o, "observed")
		}
	}
	// Choices and product names said in so many words fill their slots.
	if flow != nil {
		if txt := " " + Canonical(wordsOnly(t.customerText())) + " "; strings.TrimSpace(txt) != "" {
			for _, s := range flow.Slots {
				if (s.Type != "choice" && s.Type != "product") || st.Has(s.Name) {
					continue
				}
				if c := t.choiceIn(txt, s); c != "" {
					t.evidence(s.Name, c, perception.Observation{Confidence: 0.85, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.textModality(), Stage: "dialogue.choice"}}, "observed")
				}
			}
		}
	}
	// Free text answers the slot the dialogue asked for.
	if flow != nil && st.Expect.Type == "text" && st.Expect.Slot != "" && t.answer == "" {
		if txt := strings.TrimSpace(t.customerText()); txt != "" && !st.Has(st.Expect.Slot) {
			t.evidence(st.Expect.Slot, txt, perception.Observation{Confidence: 0.8, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.textModality(), Stage: "dialogue.free_text"}}, "observed")
		}
	}
	if flow != nil && flow.Diagnose {
		t.inferProduct(flow)
	}
	if flow != nil {
		for _, s := range flow.Slots {
			if s.Default != "" && !st.Has(s.Name) {
				t.evidence(s.Name, s.Default, perception.Observation{Confidence: 0.6, Source: perception.Source{Stage: "pack.default", Modality: media.ModText}}, "default")
			}
		}
	}
}

func (t *turn) textModality() media.Modality {
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindTranscript {
			return o.Source.Modality
		}
	}
	return media.ModText
}

// slotFor maps an entity observation to a slot of the flow and its value.
func (t *turn) slotFor(flow *kb.Flow, o perception.Observation) (string, any) {
	if flow == nil {
		return "", nil
	}
	value := o.Value
	if o.Slot == "choice" || o.Slot == "product" {
		for _, s := range flow.Slots {
			if s.Type == "choice" || s.Type == "product" {
				if c := matchChoice(s.Choices, fmt.Sprint(value), t.pack); c != "" && (o.Slot == s.Type || o.Slot == "choice") {
					return s.Name, c
				}
			}
		}
		return "", nil
	}
	if s := flow.Slot(o.Slot); s != nil {
		return s.Name, t.preferAlternative(s.Name, o)
	}
	// An entity whose type a slot wants (a bare "card" number for a digits slot).
	for _, s := range flow.Slots {
		if s.Type == o.Slot && t.st.Expect.Slot == s.Name {
			return s.Name, value
		}
		if s.Type == "digits" && (o.Slot == "card" || o.Slot == "account" || o.Slot == "digits") && t.st.Expect.Slot == s.Name {
			return s.Name, lastDigits(fmt.Sprint(value), 4)
		}
	}
	return "", nil
}

// preferAlternative picks, among an observation's readings, the one that agrees with what the slot
// already holds ("twelve fifty" is 1250.00 next to a check for $1,250.00, 12.50 otherwise).
func (t *turn) preferAlternative(slot string, o perception.Observation) any {
	sl := t.st.Slots[slot]
	if sl == nil || sl.Value == nil || Same(sl.Value, o.Value) {
		return o.Value
	}
	for _, a := range o.Alts {
		if Same(a.Value, sl.Value) {
			return a.Value
		}
	}
	return o.Value
}

func (t *turn) evidence(slot string, value any, o perception.Observation, kind string) {
	ev := Evidence{
		Value: value, Modality: o.Source.Modality, Stage: o.Source.Stage, Confidence: o.Confidence,
		MessageID: o.Source.MessageID, Kind: kind, Region: o.Source.Region, At: t.now,
	}
	if o.Source.Modality == media.ModVideo && o.Source.Region != nil {
		ev.FrameMS = o.Source.Start.Milliseconds()
	}
	if o.Attachment != nil {
		ev.Crop = o.Attachment.URL
	}
	if ev.MessageID == "" {
		ev.MessageID = t.in.MessageID
	}
	if o.Source.Origin != "" {
		// words heard or seen by one stage and read by another: the trail names both
		ev.Stage, ev.Via = o.Source.Origin, o.Source.Stage
	}
	if kind == "observed" && !slices.Contains(t.noted, slot) {
		t.noted = append(t.noted, slot)
	}
	if t.st.AddEvidence(slot, ev) {
		t.out.Events = append(t.out.Events, Event{Type: "slot", Data: map[string]any{"name": slot, "slot": t.st.Slots[slot]}})
	}
}

func matchChoice(choices []string, v string, pack *kb.Pack) string {
	cv := Canonical(v)
	for _, c := range choices {
		cc := Canonical(c)
		if cc == cv || strings.HasPrefix(cc, cv+" ") || strings.Contains(cv, cc) {
			return c
		}
	}
	if p, ok := pack.Product(v); ok {
		for _, c := range choices {
			if Canonical(c) == Canonical(p.Name) {
				return c
			}
		}
	}
	return ""
}

// choiceIn finds one of a slot's choices, or a product alias, among the words of txt (which is
// canonical and padded with spaces).
func (t *turn) choiceIn(txt string, s kb.SlotSpec) string {
	for _, c := range s.Choices {
		if strings.Contains(txt, " "+Canonical(c)+" ") {
			return c
		}
	}
	if s.Type != "product" {
		return ""
	}
	for _, p := range t.pack.Products {
		for _, a := range append([]string{p.Name, p.ID}, p.Aliases...) {
			if strings.Contains(txt, " "+Canonical(wordsOnly(a))+" ") {
				if c := matchChoice(s.Choices, p.Name, t.pack); c != "" {
					return c
				}
			}
		}
	}
	return ""
}

// wordsOnly replaces punctuation with spaces.
func wordsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			return r
		}
		return ' '
	}, s)
}

func lastDigits(s string, n int) string {
	var d []rune
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, r)
		}
	}
	if len(d) > n {
		d = d[len(d)-n:]
	}
	return string(d)
}
