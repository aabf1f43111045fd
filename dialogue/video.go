package dialogue

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Observation kinds of the fault-video readers, as the dialogue reads them.
const (
	kindLight = "light" // Value: map with light, color, pattern
	kindSound = "sound" // Value: map of sound features; Text: the strongest feature
	kindModel = "model" // Value: model number read from a rating plate
)

// frameVotes returns the message's observations with the readings of one slot across the frames
// of a video folded into one: the value with the most confidence summed over frames wins, its
// best frame stands for it (region, frame time, crop), and its confidence is its share of the
// vote times its best frame's confidence. Other values become alternatives.
func (t *turn) frameVotes() []perception.Observation {
	type key struct {
		part int
		slot string
	}
	votes := map[key]map[string]float64{}
	best := map[key]map[string]perception.Observation{}
	var out []perception.Observation
	for _, o := range t.in.Observations {
		if o.Kind != perception.KindEntity || o.Source.Modality != media.ModVideo || o.Source.Region == nil {
			out = append(out, o)
			continue
		}
		k := key{o.Source.Part, o.Slot}
		v := Canonical(o.Value)
		if votes[k] == nil {
			votes[k], best[k] = map[string]float64{}, map[string]perception.Observation{}
		}
		votes[k][v] += o.Confidence
		if b, ok := best[k][v]; !ok || o.Confidence > b.Confidence {
			best[k][v] = o
		}
	}
	keys := make([]key, 0, len(votes))
	for k := range votes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].part < keys[j].part || keys[i].slot < keys[j].slot })
	for _, k := range keys {
		total, win, winV := 0.0, "", -1.0
		vals := make([]string, 0, len(votes[k]))
		for v := range votes[k] {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			total += votes[k][v]
			if votes[k][v] > winV {
				win, winV = v, votes[k][v]
			}
		}
		o := best[k][win]
		o.Confidence = o.Confidence * winV / total
		o.Alts = nil
		for _, v := range vals {
			if v != win {
				o.Alts = append(o.Alts, perception.Alternative{Value: best[k][v].Value, Confidence: best[k][v].Confidence * votes[k][v] / total})
			}
		}
		sort.Slice(o.Alts, func(i, j int) bool { return o.Alts[i].Confidence > o.Alts[j].Confidence })
		out = append(out, o)
	}
	t.findings()
	return out
}

// findings records the lights, sounds and model numbers the message's stages observed.
func (t *turn) findings() {
	st := t.st
	t.lightFindings()
	for _, o := range t.in.Observations {
		f := Finding{Kind: o.Kind, Modality: o.Source.Modality, Stage: o.Source.Stage, Confidence: o.Confidence, MessageID: o.Source.MessageID}
		if o.Source.Modality == media.ModVideo && o.Source.Region != nil {
			f.FrameMS = o.Source.Start.Milliseconds()
		}
		if o.Attachment != nil {
			f.Crop = o.Attachment.URL
		}
		switch o.Kind {
		case kindSound:
			f.Name, f.Value = o.Text, fmt.Sprint(o.Confidence)
		case kindModel:
			f.Name, f.Value = "model", fmt.Sprint(o.Value)
		default:
			continue
		}
		st.Findings = append(st.Findings, f)
	}
}

// inferProduct fills the product from what identifies it when the customer did not say it: a
// model number read from the rating plate, else the one product kind the error code belongs to.
func (t *turn) inferProduct(flow *kb.Flow) {
	st := t.st
	s := flow.Slot("product")
	if s == nil || st.Has("product") {
		return
	}
	if m := t.model(); m.id != "" {
		if pr, ok := t.pack.ProductByModel(m.id); ok {
			if c := matchChoice(s.Choices, pr.Name, t.pack); c != "" {
				t.evidence("product", c, perception.Observation{Confidence: m.conf, Source: perception.Source{MessageID: t.in.MessageID, Modality: m.modality, Stage: m.stage}}, "observed")
				return
			}
		}
	}
	if !st.Has("error_code") {
		return
	}
	code := fmt.Sprint(st.Value("error_code"))
	kinds := map[string]bool{}
	for _, f := range t.pack.Faults {
		if strings.EqualFold(f.Code, code) {
			kinds[f.Kind] = true
		}
	}
	if len(kinds) != 1 {
		return
	}
	for kind := range kinds {
		for _, pr := range t.pack.Products {
			if pr.Kind == kind {
				if c := matchChoice(s.Choices, pr.Name, t.pack); c != "" {
					ev := st.Slots["error_code"].Evidence[len(st.Slots["error_code"].Evidence)-1]
					t.evidence("product", c, perception.Observation{Confidence: 0.7, Source: perception.Source{MessageID: t.in.MessageID, Modality: ev.Modality, Stage: "dialogue.fault_kind"}}, "observed")
					return
				}
			}
		}
	}
}

type modelReading struct {
	id       string
	conf     float64
	modality media.Modality
	stage    string
}

// model returns the most confident model number read in this conversation.
func (t *turn) model() modelReading {
	var m modelReading
	for _, f := range t.st.Findings {
		if f.Kind == kindModel && f.Confidence > m.conf {
			m = modelReading{id: f.Value, conf: f.Confidence, modality: f.Modality, stage: f.Stage}
		}
	}
	return m
}

// readAsset returns a pack asset's bytes when it is a picture a PDF can embed (PNG, JPEG, or SVG,
// which the report rasterises).
func readAsset(p *kb.Pack, name string) []byte {
	switch path.Ext(strings.ToLower(name)) {
	case ".png", ".jpg", ".jpeg", ".svg":
	default:
		return nil
	}
	b, err := fs.ReadFile(p.Assets, name)
	if err != nil {
		return nil
	}
	return b
}

// sentVideo reports whether the message has a video (its frames or its audio track).
func (t *turn) sentVideo() bool {
	for _, m := range t.in.Modalities {
		if m == media.ModVideo {
			return true
		}
	}
	return false
}

// diagnoseFlow returns the pack's flow that diagnoses faults, "" when it has none.
func (t *turn) diagnoseFlow() string {
	var names []string
	for name, f := range t.pack.Flows {
		if f.Diagnose {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// unknownBesideKnown reports whether value, for a diagnosing flow's error_code, is a code the pack
// does not know while the same message holds a reading of one it knows: "C10" heard in the
// narration beside "E10" read on the display is a mishearing, not a second opinion.
func (t *turn) unknownBesideKnown(flow *kb.Flow, slot string, value any) bool {
	if flow == nil || !flow.Diagnose || slot != "error_code" || t.knownCode(value) {
		return false
	}
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindEntity && o.Slot == "error_code" && t.knownCode(o.Value) {
			return true
		}
	}
	return false
}

func (t *turn) knownCode(v any) bool {
	_, ok := t.pack.Fault(fmt.Sprint(v), "")
	return ok
}
