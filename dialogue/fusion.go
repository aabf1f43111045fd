package dialogue

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/parleyhq/parley/media"
)

// minConflictConfidence is the confidence under which a disagreeing reading is not a conflict.
const minConflictConfidence = 0.5

// Canonical returns the form in which two slot values are compared: amounts to the cent, text
// case-folded with spaces collapsed.
func Canonical(v any) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprintf("%.2f", math.Round(x*100)/100)
	case float32:
		return Canonical(float64(x))
	case int:
		return Canonical(float64(x))
	case int64:
		return Canonical(float64(x))
	case string:
		return strings.Join(strings.Fields(strings.ToLower(x)), " ")
	case nil:
		return ""
	}
	return strings.ToLower(fmt.Sprint(v))
}

// Same reports whether two slot values agree.
func Same(a, b any) bool { return Canonical(a) == Canonical(b) }

// AddEvidence records evidence on a slot and recomputes its value and status. It returns whether
// the slot's value or status changed.
func (s *State) AddEvidence(name string, ev Evidence) bool {
	sl := s.Slots[name]
	if sl == nil {
		sl = &Slot{Status: Unknown}
		s.Slots[name] = sl
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	before := Canonical(sl.Value) + "|" + sl.Status
	sl.Evidence = append(sl.Evidence, ev)
	sl.recompute()
	return Canonical(sl.Value)+"|"+sl.Status != before
}

// recompute derives a slot's value and status from its evidence:
//   - a value backed by two different modalities, or by an explicit confirmation, is confirmed,
//     provided it is also the most recently stated value;
//   - two confident readings that disagree, with neither confirmed, are a conflict;
//   - otherwise the best supported value is proposed.
func (sl *Slot) recompute() {
	type group struct {
		value      any
		modalities map[media.Modality]bool
		confirmed  bool
		best       float64
		last       int
	}
	var groups []*group
	byKey := map[string]*group{}
	for i, ev := range sl.Evidence {
		k := Canonical(ev.Value)
		g := byKey[k]
		if g == nil {
			g = &group{value: ev.Value, modalities: map[media.Modality]bool{}}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.modalities[ev.Modality] = true
		if ev.Kind == "confirmation" {
			g.confirmed = true
		}
		g.best = max(g.best, ev.Confidence)
		g.last = i
	}
	if len(groups) == 0 {
		sl.Value, sl.Status = nil, Unknown
		return
	}
	latest := groups[0]
	for _, g := range groups {
		if g.last > latest.last {
			latest = g
		}
	}
	if latest.confirmed || len(latest.modalities) >= 2 {
		sl.Value, sl.Status = latest.value, Confirmed
		return
	}
	confident := 0
	best := groups[0]
	for _, g := range groups {
		if g.best >= minConflictConfidence {
			confident++
		}
		if g.best > best.best || (g.best == best.best && g.last > best.last) {
			best = g
		}
	}
	if confident >= 2 {
		sl.Value, sl.Status = latest.value, Conflict
		return
	}
	sl.Value, sl.Status = best.value, Proposed
}

// Evidence values by canonical key, for explaining a conflict.
func (sl *Slot) readings() map[string][]Evidence {
	out := map[string][]Evidence{}
	for _, ev := range sl.Evidence {
		k := Canonical(ev.Value)
		out[k] = append(out[k], ev)
	}
	return out
}

// Has reports whether a slot has a value.
func (s *State) Has(name string) bool {
	sl := s.Slots[name]
	return sl != nil && sl.Value != nil && sl.Status != Unknown
}

// Status returns a slot's status, Unknown when absent.
func (s *State) Status(name string) string {
	if sl := s.Slots[name]; sl != nil {
		return sl.Status
	}
	return Unknown
}

// Value returns a slot's value.
func (s *State) Value(name string) any {
	if sl := s.Slots[name]; sl != nil {
		return sl.Value
	}
	return nil
}
