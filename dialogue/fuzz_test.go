package dialogue_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// FuzzTurn drives the engine with arbitrary intents, entity values and answers: every turn must
// produce a reply and keep the state consistent, never panic.
func FuzzTurn(f *testing.F) {
	f.Add("bank", "deposit_check", "amount", "1250.75", "yes", 0.9)
	f.Add("telecom", "internet_down", "choice", "Max 1000", "no", 0.8)
	f.Add("appliances", "fault", "error_code", "E99", "", 0.95)
	f.Add("bank", "oos", "date", "", "maybe", 0.1)
	e := engine(f)
	f.Fuzz(func(t *testing.T, pack, intent, slot, value, ans string, conf float64) {
		if pack != "bank" && pack != "telecom" && pack != "appliances" {
			pack = "bank"
		}
		st := dialogue.NewState(pack)
		for i := 0; i < 3; i++ {
			obs := []perception.Observation{
				{Kind: perception.KindIntent, Value: intent, Confidence: conf, Source: perception.Source{Modality: media.ModText}},
				{Kind: perception.KindEntity, Slot: slot, Value: value, Confidence: conf, Source: perception.Source{Modality: media.ModVoice}},
				{Kind: perception.KindAnswer, Value: ans, Source: perception.Source{Modality: media.ModText}},
				{Kind: perception.KindAffectCue, Value: map[string]float64{"frustration": conf}, Source: perception.Source{Modality: media.ModText}},
			}
			in := dialogue.Input{MessageID: "m", Text: value, Observations: obs}
			if i == 1 {
				// a voice note: the words heard, with another reading, and what was read from them
				in.Text = ""
				in.Kinds, in.Modalities = []media.Kind{media.Audio, media.Image}, []media.Modality{media.ModVoice, media.ModImage}
				in.Observations = append(obs, perception.Observation{Kind: perception.KindTranscript, Value: value, Confidence: conf,
					Alts: []perception.Alternative{{Value: ans + " " + value, Confidence: conf}}, Source: perception.Source{Modality: media.ModVoice, Stage: "audio.asr"}})
			}
			out, err := e.Turn(context.Background(), st, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Reply.Parts) == 0 {
				t.Fatalf("empty reply for %q %q %q", intent, slot, value)
			}
			for _, a := range out.Actions {
				if (a.Type == "deposit" || a.Type == "block_card" || a.Type == "open_dispute") && ans != "yes" {
					t.Fatalf("%s without a yes", a.Type)
				}
			}
			if a := st.Affect; a.Frustration < 0 || a.Frustration > 1 || a.Confusion < 0 || a.Confusion > 1 {
				t.Fatalf("affect out of range: %+v", a)
			}
		}
	})
}
