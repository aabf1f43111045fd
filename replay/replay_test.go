package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/replay"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/sqlite"
)

// checkV3 is the newer check reader: it reads 1,030.00 where version 2 read 1,080.00.
type checkV3 struct{ runs int }

func (*checkV3) Name() string              { return "image.check" }
func (*checkV3) Version() string           { return "3" }
func (*checkV3) Accepts(k media.Kind) bool { return k == media.Image }
func (c *checkV3) Process(context.Context, media.Item, perception.Expectation) ([]perception.Observation, error) {
	c.runs++
	return []perception.Observation{
		{Kind: perception.KindEntity, Slot: "amount", Value: 1030.0, Confidence: 0.95},
		{Kind: perception.KindEntity, Slot: "check_number", Value: "1001", Confidence: 0.9},
	}, nil
}

// textOnly reads no stored media.
type textOnly struct{}

func (textOnly) Name() string              { return "text.nlu" }
func (textOnly) Accepts(k media.Kind) bool { return k == media.Text }
func (textOnly) Process(context.Context, media.Item, perception.Expectation) ([]perception.Observation, error) {
	return nil, nil
}

func TestReplayRecordsAndReportsChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Conversation{Pack: "bank"}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(ctx, &store.Message{ConversationID: c.ID, Role: store.RoleCustomer, Text: "I want to deposit a check"}); err != nil {
		t.Fatal(err)
	}
	ref, err := blobs.Put(ctx, bytes.NewReader([]byte("a photo of a check")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ref.Kind = string(media.Image)
	msg, err := st.AddMessage(ctx, &store.Message{ConversationID: c.ID, Role: store.RoleCustomer, Parts: []store.BlobRef{ref}})
	if err != nil {
		t.Fatal(err)
	}
	own := []perception.Observation{
		{Kind: perception.KindEntity, Slot: "amount", Value: 1080.0, StageVersion: "2", Source: perception.Source{MessageID: msg.ID, Part: 1, Stage: "image.check"}},
		{Kind: perception.KindEntity, Slot: "check_number", Value: "1001", StageVersion: "2", Source: perception.Source{MessageID: msg.ID, Part: 1, Stage: "image.check"}},
	}
	ownJSON, _ := json.Marshal(own)
	if err := st.SetReply(ctx, c.ID, msg.ID, json.RawMessage(`{"parts":[]}`), ownJSON); err != nil {
		t.Fatal(err)
	}
	stage := &checkV3{}
	r := &replay.Replayer{Store: st, Results: st, Blobs: blobs, Stages: []perception.Stage{textOnly{}, stage}}
	var progress []int
	rep, err := r.Run(ctx, replay.Options{Progress: func(done, total int) { progress = append(progress, done, total) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 1 || rep.Readings != 1 || rep.Recorded != 1 || len(rep.Changes) != 1 {
		t.Fatalf("report %+v: want one message read, recorded, with one change", rep)
	}
	want := "amount on message " + c.ID + "#2 read 1,030.00 (v3) instead of 1,080.00 (v2)"
	if got := rep.Changes[0].String(); got != want {
		t.Errorf("change %q, want %q", got, want)
	}
	if len(progress) != 2 || progress[0] != 1 || progress[1] != 1 {
		t.Errorf("progress %v, want [1 1]", progress)
	}
	// The message's own observations are untouched; the replay sits beside them.
	msgs, _ := st.Messages(ctx, c.ID)
	if !strings.Contains(string(msgs[1].Observations), "1080") {
		t.Errorf("the message's observations were rewritten: %s", msgs[1].Observations)
	}
	res, err := st.StageResults(ctx, c.ID)
	if err != nil || len(res) != 1 || res[0].Origin != store.OriginReplay || res[0].StageVersion != "3" {
		t.Fatalf("stage results %+v, %v", res, err)
	}
	// Replaying the same version again keeps the first replay and records nothing new.
	rep, err = r.Run(ctx, replay.Options{Conversation: c.ID, Stage: "image.check"})
	if err != nil || rep.Recorded != 0 || len(rep.Changes) != 1 {
		t.Fatalf("second replay %+v, %v: want nothing recorded, the same change", rep, err)
	}
	// Filters: a stage not running, messages before a time.
	if _, err := r.Run(ctx, replay.Options{Stage: "image.nope"}); err == nil {
		t.Error("replay of an unknown stage succeeded")
	}
	if rep, err := r.Run(ctx, replay.Options{Since: msg.CreatedAt.Add(1e9)}); err != nil || rep.Messages != 0 {
		t.Errorf("since after the message: %+v, %v; want nothing read", rep, err)
	}
	if _, err := r.Run(ctx, replay.Options{Conversation: "c_unknown"}); err == nil {
		t.Error("replay of an unknown conversation succeeded")
	}
}
