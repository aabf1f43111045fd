// Package perception turns message parts into observations. A Stage reads one kind of media and
// knows nothing of the dialogue beyond a small Expectation; a Pipeline runs stages concurrently and
// feeds transcripts back in as text, so words spoken and words typed are understood the same way.
//
// Every stage has a version (VersionOf: its Version method, "1" without one), and the pipeline
// records it on each observation as StageVersion. Results kept outside a turn (a perception job
// run by a worker, a replay) are keyed by message, stage and version, so a stored result is reused
// only by the same version of the stage. The bump rule: raise a stage's version whenever the same
// input can give a different observation — a new or retrained model, a changed threshold, grammar
// or decoding step, a new observation kind or a changed value format. Leave it alone for changes
// that cannot alter an observation (speed, logging, refactoring). Versions are compared for
// equality only; by convention they are whole numbers counted up from 1.
package perception

import (
	"context"
	"errors"
	"time"

	"github.com/parleyhq/parley/media"
)

// ErrUnavailable is returned by a stage factory when what the stage needs (a model, a library) is
// not installed; the stage is then left out and the server keeps running.
var ErrUnavailable = errors.New("perception: stage unavailable")

// Observation kinds shared between stages and the dialogue. A stage may emit other kinds; the
// dialogue ignores what it does not know.
const (
	KindIntent     = "intent"     // Value: intent name (string); "oos" when out of scope
	KindEntity     = "entity"     // Slot: entity type (amount, date, account, ...); Value: canonical value
	KindAnswer     = "answer"     // Value: "yes" or "no"
	KindTranscript = "transcript" // Value: recognised text (string)
	KindQuality    = "quality"    // Value: a quality report; Text: a retake instruction when unreadable
	KindCheck      = "check"      // Value: a full check reading with verification
	KindNotCheck   = "not_check"  // the image does not look like a check
	KindEmotion    = "emotion"    // Value: map[string]float64 of expression probabilities
	KindAffectCue  = "affect_cue" // Value: map with "frustration" and/or "confusion" in [0,1]
	KindProsody    = "prosody"    // Value: map of pitch_hz, energy_db, rate_wps, pause_ratio
	KindArtifact   = "artifact"   // an attachment (a crop, an annotated frame) the reply may show
	KindFrames     = "frames"     // Value: count of video frames looked at
)

// Source says where an observation came from.
type Source struct {
	MessageID string         `json:"message_id"`
	Part      int            `json:"part"`
	Modality  media.Modality `json:"modality"`
	Stage     string         `json:"stage"`
	// Origin is the stage whose output this observation was read from: audio.asr for the words
	// of a voice note or of a video's narration that text understanding read. Empty when the
	// stage read the customer's message itself.
	Origin string        `json:"origin,omitempty"`
	Region *Region       `json:"region,omitempty"`
	Start  time.Duration `json:"start,omitempty"`
	End    time.Duration `json:"end,omitempty"`
}

// Region is a rectangle in image pixels.
type Region struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Attachment is binary output of a stage, such as the crop of the amount on a check.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"-"`
	// URL is set once the attachment has been stored.
	URL string `json:"url,omitempty"`
}

// Observation is one fact a stage saw, with how sure it is and where it came from.
type Observation struct {
	Kind       string        `json:"kind"`
	Slot       string        `json:"slot,omitempty"`
	Value      any           `json:"value,omitempty"`
	Text       string        `json:"text,omitempty"`
	Confidence float64       `json:"confidence"`
	Source     Source        `json:"source"`
	Alts       []Alternative `json:"alternatives,omitempty"`
	Attachment *Attachment   `json:"attachment,omitempty"`
	// StageVersion is the version of the stage that made the observation (see VersionOf); the
	// pipeline sets it.
	StageVersion string `json:"stage_version,omitempty"`
}

// Alternative is a lower-ranked reading (N-best).
type Alternative struct {
	Value      any     `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Expectation is what the dialogue is waiting for. Stages may use it to focus, for example a speech
// grammar built for "an amount" or "yes or no".
type Expectation struct {
	Pack       string   `json:"pack,omitempty"`
	Slot       string   `json:"slot,omitempty"`
	Type       string   `json:"type,omitempty"` // amount, yesno, digits, date, choice, text
	Choices    []string `json:"choices,omitempty"`
	Intents    []string `json:"intents,omitempty"`
	Vocabulary []string `json:"vocabulary,omitempty"`
	Phrases    []string `json:"phrases,omitempty"`
	// Images names the reader stages a photo goes to in this conversation (image.check in a
	// deposit); a pipeline with Readers set gives a photo to no other reader.
	Images []string `json:"images,omitempty"`
}

// Stage is one perception step.
type Stage interface {
	Name() string
	Accepts(k media.Kind) bool
	Process(ctx context.Context, item media.Item, expect Expectation) ([]Observation, error)
}

// Versioned is implemented by stages that declare their version; see the package comment for
// when to raise it.
type Versioned interface {
	Version() string
}

// VersionOf returns the version of stage s: its Version, or "1" when it declares none.
func VersionOf(s Stage) string {
	if v, ok := s.(Versioned); ok && v.Version() != "" {
		return v.Version()
	}
	return "1"
}

// KindStageError is the observation kind that carries a stage's failure on a part across
// processes (a perception job run by a worker): Text holds the error, Source the stage and part.
const KindStageError = "stage_error"

// Closer is implemented by stages that hold resources.
type Closer interface {
	Close(ctx context.Context) error
}

// Recorder is implemented by stages that remember what was done with their readings: the check
// stage remembers deposited checks, to recognise the same check deposited again.
type Recorder interface {
	// Record tells the stage that action (e.g. "deposit") was carried out on the reading in o.
	Record(ctx context.Context, action string, o Observation, ref string) error
}
