package dialogue

import (
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/perception"
)

// confirmAll records the customer's yes as confirming every read-back slot.
func (t *turn) confirmAll(flow *kb.Flow) {
	if flow.Confirm == nil {
		return
	}
	for _, name := range flow.Confirm.Slots {
		if !t.st.Has(name) || t.st.Status(name) == Conflict {
			continue
		}
		o := perception.Observation{Confidence: 0.95, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.answerM, Stage: "dialogue.confirmation"}}
		t.evidence(name, t.st.Value(name), o, "confirmation")
	}
}
