// Package jobs runs heavy perception stages (check reading, speech of long notes) as jobs on the
// shared queue, so that `parley worker` processes do the reading beside the nodes that answer.
//
// A node's pipeline hands the stages an Offloader takes to it. For each such stage and message
// it publishes a Job: the message and conversation, the stage and its version, what the dialogue
// expects and the blob of each part. A worker (Worker.Handle) loads the blobs from the shared
// blob store, runs its own copy of the stage and stores the observations as a stage result keyed
// by message, stage, version and origin; only then is the job acknowledged, so a worker killed
// mid-job leaves the job to be delivered again after the queue's AckWait. A job whose result is
// already stored is acknowledged without running again, and results are never rewritten: however
// often a job is delivered, one result counts.
//
// The node waiting for the turn polls the store for the result with a growing interval. When no
// worker has answered after Offloader.Wait (bounded by the turn's own deadline), the node runs the
// stage itself and stores the result under the same key (if a worker stored one meanwhile, that
// one is used). Running here rather than answering "still reading" keeps every turn answered in
// one round trip — the customer is never asked to wait and write again — and the same key keeps
// the outcome single however the race between node and worker ends.
package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/store"
)

// SubjectPrefix starts the queue subject of every perception job; the stage name follows
// ("perception.image.check").
const SubjectPrefix = "perception"

// ErrBadJob is returned for a job that cannot be decoded or is incomplete.
var ErrBadJob = errors.New("jobs: bad job")

// Job asks for one stage to read the parts of one message.
type Job struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Stage          string `json:"stage"`
	StageVersion   string `json:"stage_version"`
	// Origin is the stage result's origin: store.OriginJob and a hash of Expect.
	Origin string                 `json:"origin"`
	Expect perception.Expectation `json:"expect"`
	Items  []Item                 `json:"items"`
}

// Item is one part of the message, its bytes in the blob store.
type Item struct {
	Part        int            `json:"part"`
	Kind        media.Kind     `json:"kind"`
	Modality    media.Modality `json:"modality"`
	ContentType string         `json:"content_type,omitempty"`
	Name        string         `json:"name,omitempty"`
	Offset      time.Duration  `json:"offset,omitempty"`
	// Blob is the SHA-256 hash of the part's bytes in the blob store.
	Blob string `json:"blob"`
}

// Subject returns the queue subject of a stage's jobs.
func Subject(stage string) string { return SubjectPrefix + "." + stage }

// Origin returns the stage-result origin of a job made under expect: the same expectation gives
// the same key, so a turn redone on fresh state reuses the result only when the stage was asked
// the same thing.
func Origin(expect perception.Expectation) string {
	raw, _ := json.Marshal(expect)
	h := sha256.Sum256(raw)
	return store.OriginJob + ":" + hex.EncodeToString(h[:4])
}

// maxJobBytes bounds an encoded job; jobs carry references, not media.
const maxJobBytes = 1 << 20

// Encode returns the job as queue bytes.
func (j *Job) Encode() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// Decode parses and validates queue bytes as a job.
func Decode(data []byte) (*Job, error) {
	if len(data) > maxJobBytes {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrBadJob, len(data), maxJobBytes)
	}
	var j Job
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJob, err)
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return &j, nil
}

// Validate checks that the job names what a worker needs.
func (j *Job) Validate() error {
	switch {
	case j.ConversationID == "" || j.MessageID == "":
		return fmt.Errorf("%w: no conversation or message", ErrBadJob)
	case j.StageVersion == "" || j.Origin == "":
		return fmt.Errorf("%w: no stage version or origin", ErrBadJob)
	case len(j.Items) == 0:
		return fmt.Errorf("%w: no items", ErrBadJob)
	}
	if err := queue.ValidSubject(Subject(j.Stage)); err != nil || j.Stage == "" {
		return fmt.Errorf("%w: stage %q", ErrBadJob, j.Stage)
	}
	for i, it := range j.Items {
		if len(it.Blob) != 64 {
			return fmt.Errorf("%w: item %d: blob %q is not a SHA-256 hash", ErrBadJob, i, it.Blob)
		}
		if _, err := hex.DecodeString(it.Blob); err != nil {
			return fmt.Errorf("%w: item %d: blob %q is not a SHA-256 hash", ErrBadJob, i, it.Blob)
		}
		switch it.Kind {
		case media.Image, media.Audio, media.Video:
		default:
			return fmt.Errorf("%w: item %d: kind %q", ErrBadJob, i, it.Kind)
		}
	}
	return nil
}

// key returns the stage-result key fields of the job.
func (j *Job) result(obs json.RawMessage) *store.StageResult {
	return &store.StageResult{ConversationID: j.ConversationID, MessageID: j.MessageID, Stage: j.Stage,
		StageVersion: j.StageVersion, Origin: j.Origin, Observations: obs}
}
