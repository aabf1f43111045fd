// Package dialogue fuses observations from every modality into one conversation state, runs the
// active flow of a knowledge pack, adapts the reply style to the customer's affect and builds
// replies made of parts.
package dialogue

import (
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Slot statuses.
const (
	Unknown   = "unknown"
	Proposed  = "proposed"
	Confirmed = "confirmed"
	Conflict  = "conflict"
)

// Evidence is one observation's support for a slot value.
type Evidence struct {
	Value    any            `json:"value"`
	Modality media.Modality `json:"modality"`
	Stage    string         `json:"stage"`
	// Via is the stage that read the value out of Stage's output: text.nlu for an amount in the
	// words audio.asr heard.
	Via        string             `json:"via,omitempty"`
	Confidence float64            `json:"confidence"`
	MessageID  string             `json:"message_id"`
	Kind       string             `json:"kind,omitempty"` // "observed" or "confirmation"
	Region     *perception.Region `json:"region,omitempty"`
	// FrameMS is the time of the video frame the value was read from, in milliseconds.
	FrameMS int64 `json:"frame_ms,omitempty"`
	// Crop is the address of the picture of the region that shows the value.
	Crop string    `json:"crop,omitempty"`
	At   time.Time `json:"at"`
}

// Slot is a fact the dialogue tracks, with every piece of evidence behind it.
type Slot struct {
	Value    any        `json:"value"`
	Status   string     `json:"status"`
	Evidence []Evidence `json:"evidence"`
}

// Affect is the customer's fused emotional state, each in [0,1].
type Affect struct {
	Frustration float64 `json:"frustration"`
	Confusion   float64 `json:"confusion"`
	// Why lists the most recent contributions, so every change can be explained.
	Why []AffectCause `json:"why,omitempty"`
	// High records whether each dimension is past its hysteresis threshold.
	FrustrationHigh bool      `json:"frustration_high"`
	ConfusionHigh   bool      `json:"confusion_high"`
	HighSince       time.Time `json:"high_since,omitzero"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

// AffectCause is one observation's pull on affect.
type AffectCause struct {
	Source    string         `json:"source"` // face, voice, words, dialogue
	Modality  media.Modality `json:"modality"`
	Dimension string         `json:"dimension"`
	Value     float64        `json:"value"`
	MessageID string         `json:"message_id,omitempty"`
	At        time.Time      `json:"at"`
}

// State is everything the conversation knows.
type State struct {
	Pack   string           `json:"pack"`
	Slots  map[string]*Slot `json:"slots"`
	Affect Affect           `json:"affect"`
	Skill  string           `json:"skill,omitempty"`
	Step   string           `json:"step,omitempty"`
	// StepIndex is the position in a guided procedure.
	StepIndex int                    `json:"step_index,omitempty"`
	Expect    perception.Expectation `json:"expect"`
	Resolved  bool                   `json:"resolved"`
	Handoff   bool                   `json:"handoff"`
	// Signals counts dialogue-level cues: repeated questions, failed steps, silences.
	Signals map[string]int `json:"signals,omitempty"`
	// LastTexts keeps the customer's recent texts to notice repetition.
	LastTexts []string `json:"last_texts,omitempty"`
	Actions   []Action `json:"actions,omitempty"`
	// ReadBack holds the values the last read-back stated, canonical, by slot: what a yes to it
	// agrees to.
	ReadBack map[string]string `json:"read_back,omitempty"`
	// Pending is a side question waiting for its yes or no: "handoff" after "Do you want to talk
	// to a person?".
	Pending string `json:"pending,omitempty"`
	// Asked is the last question put to the customer, to ask again after a message that did not
	// answer it.
	Asked     string    `json:"asked,omitempty"`
	Turns     int       `json:"turns"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Checks holds the answers to diagnostic checks, by check ID ("yes", "no" or "unanswered").
	Checks map[string]string `json:"checks,omitempty"`
	// Findings are what the video showed and the audio sounded like, beyond slot values: lights
	// and their blink patterns, sound features.
	Findings []Finding `json:"findings,omitempty"`
	// DiagnosedAt is when the diagnosis was made.
	DiagnosedAt time.Time `json:"diagnosed_at,omitzero"`
}

// Finding is a fact a stage observed that is not a slot value: a light blinking, a grinding sound.
type Finding struct {
	Kind     string         `json:"kind"` // light, sound
	Name     string         `json:"name"` // "door", "grinding"
	Value    string         `json:"value"`
	Modality media.Modality `json:"modality"`
	Stage    string         `json:"stage"`
	// Confidence is how sure the stage is, in [0,1].
	Confidence float64 `json:"confidence"`
	FrameMS    int64   `json:"frame_ms,omitempty"`
	Crop       string  `json:"crop,omitempty"`
	MessageID  string  `json:"message_id"`
}

// Action is something the flow did in the world: a deposit, a parts order, a handoff.
type Action struct {
	Type     string                `json:"type"`
	Params   map[string]any        `json:"params"`
	Evidence map[string][]Evidence `json:"evidence,omitempty"`
	Status   string                `json:"status"`
	At       time.Time             `json:"at"`
}

// NewState returns the state of a new conversation on a pack.
func NewState(pack string) *State {
	return &State{Pack: pack, Slots: map[string]*Slot{}, Signals: map[string]int{}, Expect: perception.Expectation{Pack: pack}}
}

// Part is one piece of a reply.
type Part struct {
	Type  string `json:"type"` // text, audio, image, document, link, action
	Text  string `json:"text,omitempty"`
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
	MIME  string `json:"mime,omitempty"`
	// Data carries generated content (speech, a crop, a report) until the server stores it and sets URL.
	Data []byte `json:"-"`
}

// Style is how a reply is delivered, chosen by the adaptation policy.
type Style struct {
	RateWPM         int    `json:"rate_wpm"`
	PauseMS         int    `json:"pause_ms"`
	StepsPerMessage int    `json:"steps_per_message"`
	Simplified      bool   `json:"simplified"`
	VisualFirst     bool   `json:"visual_first"`
	OfferHuman      bool   `json:"offer_human"`
	Reason          string `json:"reason,omitempty"`
}

// DefaultStyle is the style for a calm customer.
func DefaultStyle() Style { return Style{RateWPM: 175, PauseMS: 300, StepsPerMessage: 2} }

// Reply is what Parley answers, in parts.
type Reply struct {
	Parts []Part `json:"parts"`
	Style Style  `json:"style"`
}

// Text returns the reply's text parts joined, for speech and logs.
func (r Reply) Text() string {
	s := ""
	for _, p := range r.Parts {
		if p.Type == "text" && p.Text != "" {
			if s != "" {
				s += " "
			}
			s += p.Text
		}
	}
	return s
}
