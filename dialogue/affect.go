package dialogue

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Affect fusion. Each source pulls frustration and confusion towards its reading with its own
// weight, so one camera frame moves the state a little and a sustained expression moves it a lot:
//
//   - words (text cues): strong, one message can move it over half-way;
//   - voice (prosody cues): medium;
//   - face: per frame, weak; about five frames (one second at 5 fps) of a clear expression cross
//     the threshold. Anger, disgust and sadness count towards frustration. The expression model has
//     no confusion class, so without landmarks confusion from the face is inferred from surprise
//     and fear, counted in full only when the dialogue also shows confusion (a repeated question, a
//     failed step), and at a third otherwise;
//   - facial cues (the face stage's landmarks against the person's own first seconds: brows
//     lowered or raised, lips pressed, head tilted, looking away): per frame, a little stronger
//     than the expression; a frame that has them takes its confusion from them instead of from
//     surprise and fear, and adds their frustration evidence when there is any. Their cause names
//     the cue, for example "face: brows lowered for 2 s";
//   - dialogue signals: a repeated question pulls confusion up; a step failing twice pulls
//     frustration up.
//
// Between observations both dimensions relax towards calm with a half-life, and each calm customer
// message relaxes them further. A dimension turns "high" at 0.5 and back only under 0.3
// (hysteresis), and only the high flags change the reply style, so a single frame cannot flip it.
const (
	weightWords   = 0.6
	weightVoice   = 0.35
	weightFace    = 0.2
	weightFaceCue = 0.25
	weightSignal  = 0.5
	highOn        = 0.5
	highOff       = 0.3
	relaxHalfLife = 90 * time.Second
	calmTurnDecay = 0.75
	maxCauses     = 12
)

// affectReading is one source's reading of both dimensions; negative means "no reading".
type affectReading struct {
	source      string
	modality    media.Modality
	frustration float64
	confusion   float64
	weight      float64
	messageID   string
	at          time.Duration
}

// UpdateAffect fuses affect observations and dialogue signals into the state. It returns whether
// a high flag changed (which changes the reply style).
func (s *State) UpdateAffect(obs []perception.Observation, confusedDialogue, failedStep bool, now time.Time) bool {
	a := &s.Affect
	if !a.UpdatedAt.IsZero() && now.After(a.UpdatedAt) {
		f := math.Pow(0.5, now.Sub(a.UpdatedAt).Seconds()/relaxHalfLife.Seconds())
		a.Frustration *= f
		a.Confusion *= f
	}
	var readings []affectReading
	cues := hasFaceCues(obs)
	for _, o := range obs {
		switch o.Kind {
		case perception.KindAffectCue:
			m := floatMap(o.Value)
			if isFaceStage(o.Source.Stage) {
				readings = append(readings, faceCueReading(o, m))
				continue
			}
			w := weightWords
			src := "words"
			if o.Source.Stage != "" && o.Source.Modality != media.ModText && isAudioStage(o.Source.Stage) {
				w, src = weightVoice, "voice"
			}
			r := affectReading{source: src, modality: o.Source.Modality, frustration: -1, confusion: -1, weight: w, messageID: o.Source.MessageID, at: o.Source.Start}
			if v, ok := m["frustration"]; ok {
				r.frustration = clamp01(v)
			}
			if v, ok := m["confusion"]; ok {
				r.confusion = clamp01(v)
			}
			readings = append(readings, r)
		case perception.KindEmotion:
			m := floatMap(o.Value)
			fr := clamp01(m["angry"] + m["disgust"] + 0.6*m["sad"])
			cf := clamp01(m["surprise"] + m["fear"])
			if !confusedDialogue {
				cf /= 3
			}
			if cues {
				cf = -1 // the landmarks read confusion better than surprise and fear
			}
			readings = append(readings, affectReading{source: "face", modality: o.Source.Modality, frustration: fr, confusion: cf, weight: weightFace, messageID: o.Source.MessageID, at: o.Source.Start})
		}
	}
	sort.SliceStable(readings, func(i, j int) bool { return readings[i].at < readings[j].at })
	if confusedDialogue {
		readings = append(readings, affectReading{source: "dialogue", frustration: -1, confusion: 0.7, weight: weightSignal})
	}
	if failedStep {
		readings = append(readings, affectReading{source: "dialogue", frustration: 0.75, confusion: -1, weight: weightSignal})
	}
	cued := false
	for _, r := range readings {
		if r.frustration >= 0 {
			a.Frustration += r.weight * (r.frustration - a.Frustration)
			a.cause(r, "frustration", r.frustration, now)
			cued = cued || r.frustration > 0.2
		}
		if r.confusion >= 0 {
			a.Confusion += r.weight * (r.confusion - a.Confusion)
			a.cause(r, "confusion", r.confusion, now)
			cued = cued || r.confusion > 0.2
		}
	}
	a.Frustration, a.Confusion = clamp01(a.Frustration), clamp01(a.Confusion)
	a.UpdatedAt = now
	return a.flags(now)
}

// faceCueReading turns the face stage's landmark cue evidence into a reading: confusion always
// (a resting face relaxes it), frustration only when a cue shows some (the expression model reads
// calm better than the absence of a cue does).
func faceCueReading(o perception.Observation, m map[string]float64) affectReading {
	src := "face cues"
	if o.Text != "" {
		src = "face: " + o.Text
	}
	r := affectReading{source: src, modality: o.Source.Modality, frustration: -1, confusion: clamp01(m["confusion"]), weight: weightFaceCue, messageID: o.Source.MessageID, at: o.Source.Start}
	if f := clamp01(m["frustration"]); f > 0.05 {
		r.frustration = f
	}
	return r
}

// hasFaceCues reports whether obs hold landmark cue evidence from a face stage.
func hasFaceCues(obs []perception.Observation) bool {
	for _, o := range obs {
		if o.Kind == perception.KindAffectCue && isFaceStage(o.Source.Stage) {
			return true
		}
	}
	return false
}

// CalmTurn relaxes affect after a customer message that showed no sign of it.
func (s *State) CalmTurn(now time.Time) bool {
	s.Affect.Frustration *= calmTurnDecay
	s.Affect.Confusion *= calmTurnDecay
	return s.Affect.flags(now)
}

func (a *Affect) flags(now time.Time) bool {
	f := hyst(a.FrustrationHigh, a.Frustration)
	c := hyst(a.ConfusionHigh, a.Confusion)
	changed := f != a.FrustrationHigh || c != a.ConfusionHigh
	if (f || c) && !(a.FrustrationHigh || a.ConfusionHigh) {
		a.HighSince = now
	}
	if !f && !c {
		a.HighSince = time.Time{}
	}
	a.FrustrationHigh, a.ConfusionHigh = f, c
	return changed
}

func hyst(high bool, v float64) bool {
	if high {
		return v >= highOff
	}
	return v >= highOn
}

func (a *Affect) cause(r affectReading, dim string, v float64, now time.Time) {
	if v < 0.2 {
		return
	}
	a.Why = append(a.Why, AffectCause{Source: r.source, Modality: r.modality, Dimension: dim, Value: math.Round(v*100) / 100, MessageID: r.messageID, At: now})
	if len(a.Why) > maxCauses {
		a.Why = a.Why[len(a.Why)-maxCauses:]
	}
}

// HasCue reports whether observations carry any affect reading.
func HasCue(obs []perception.Observation) bool {
	for _, o := range obs {
		if o.Kind == perception.KindAffectCue || o.Kind == perception.KindEmotion {
			return true
		}
	}
	return false
}

// StyleFor is the adaptation policy: how to deliver replies given the customer's affect.
func StyleFor(a Affect, turnsHigh int, now time.Time) Style {
	st := DefaultStyle()
	if a.FrustrationHigh || a.ConfusionHigh {
		st.RateWPM = 130
		st.PauseMS = 800
		st.StepsPerMessage = 1
		st.Simplified = true
		st.Reason = "customer frustrated"
		if a.ConfusionHigh {
			st.Reason = "customer confused"
			st.VisualFirst = true
		}
		if a.FrustrationHigh && a.ConfusionHigh {
			st.Reason = "customer frustrated and confused"
		}
	}
	if a.FrustrationHigh && (a.Frustration >= 0.8 || turnsHigh >= 2 || (!a.HighSince.IsZero() && now.Sub(a.HighSince) > time.Minute)) {
		st.OfferHuman = true
	}
	return st
}

// isAudioStage reports a stage that reads audio, on the server or on the device (edge.audio.*).
func isAudioStage(stage string) bool {
	return strings.HasPrefix(stage, "audio.") || strings.HasPrefix(stage, "edge.audio.")
}

// isFaceStage reports the face stage, on the server or on the device (edge.image.face).
func isFaceStage(stage string) bool { return stage == faceStage || stage == "edge."+faceStage }

// faceStage is the face stage's ID (perception/face.StageID), whose affect cues come from landmarks.
const faceStage = "image.face"

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// floatMap reads a map of numbers from an observation value of any map type.
func floatMap(v any) map[string]float64 {
	switch m := v.(type) {
	case map[string]float64:
		return m
	case map[string]float32:
		out := make(map[string]float64, len(m))
		for k, x := range m {
			out[k] = float64(x)
		}
		return out
	case map[string]any:
		out := make(map[string]float64, len(m))
		for k, x := range m {
			if f, ok := x.(float64); ok {
				out[k] = f
			}
		}
		return out
	}
	return nil
}
