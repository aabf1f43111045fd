// Package replay reads stored media again with the current perception stages. Each stage's new
// observations of a message are recorded as a stage result with origin "replay" under the stage's
// current version, beside the message's own observations, which are never rewritten; what a
// newer version reads differently is reported ("amount on message c_1#3 read 1,030.00 (v3)
// instead of 1,080.00 (v2)").
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
)

// Options choose what to read again; zero values read everything.
type Options struct {
	// Stage keeps only that stage.
	Stage string
	// Since keeps messages stored at or after it.
	Since time.Time
	// Conversation keeps only that conversation.
	Conversation string
	// Progress, when set, is told how many messages are done out of how many.
	Progress func(done, total int)
}

// Replayer reads stored messages again.
type Replayer struct {
	Store   store.Store
	Results store.StageResults
	Blobs   store.Blobs
	// Stages are the current stages; those that read no stored media kind are left out.
	Stages []perception.Stage
	// Limits bound what is read from a blob (media.DefaultLimits when zero).
	Limits media.Limits
}

// Change is a fact a stage now reads differently from before.
type Change struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Seq            int    `json:"seq"`
	Stage          string `json:"stage"`
	// Fact names what was read: a slot (amount), or a kind (transcript).
	Fact       string `json:"fact"`
	Old        string `json:"old"`
	New        string `json:"new"`
	OldVersion string `json:"old_version"`
	NewVersion string `json:"new_version"`
}

// String says the change in one line.
func (c Change) String() string {
	old := c.Old
	if old == "" {
		old = "nothing"
	}
	nw := c.New
	if nw == "" {
		nw = "nothing"
	}
	return fmt.Sprintf("%s on message %s#%d read %s (%s) instead of %s (%s)", c.Fact, c.ConversationID, c.Seq, nw, version(c.NewVersion), old, version(c.OldVersion))
}

func version(v string) string {
	if v == "" {
		return "unversioned"
	}
	return "v" + v
}

// Report is what a replay did.
type Report struct {
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	// Readings counts stage runs on a message; Recorded those stored as new results (a reading
	// by a version already replayed keeps the stored one).
	Readings int      `json:"readings"`
	Recorded int      `json:"recorded"`
	Changes  []Change `json:"changes"`
	// Failed lists what could not be read (a blob gone, a stage failing).
	Failed []string `json:"failed,omitempty"`
}

// work is one message to read again.
type work struct {
	conv *store.Conversation
	msg  *store.Message
}

// Run reads the chosen messages again and reports what changed.
func (r *Replayer) Run(ctx context.Context, opts Options) (*Report, error) {
	stages := r.stages(opts.Stage)
	if len(stages) == 0 {
		if opts.Stage != "" {
			return nil, fmt.Errorf("replay: stage %q is not running here or reads no stored media", opts.Stage)
		}
		return nil, errors.New("replay: no stage reads stored media")
	}
	todo, convs, err := r.collect(ctx, opts, stages)
	if err != nil {
		return nil, err
	}
	rep := &Report{Conversations: convs}
	for i, w := range todo {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Messages++
		r.message(ctx, w, stages, rep)
		if opts.Progress != nil {
			opts.Progress(i+1, len(todo))
		}
	}
	return rep, nil
}

// stages returns the stages that read stored media (images, audio, video), only name if set.
func (r *Replayer) stages(name string) []perception.Stage {
	var out []perception.Stage
	for _, s := range r.Stages {
		if name != "" && s.Name() != name {
			continue
		}
		if s.Accepts(media.Image) || s.Accepts(media.Audio) || s.Accepts(media.Video) {
			out = append(out, s)
		}
	}
	return out
}

// collect lists the customer messages with parts a stage reads, oldest conversation first.
func (r *Replayer) collect(ctx context.Context, opts Options, stages []perception.Stage) ([]work, int, error) {
	var convs []*store.Conversation
	if opts.Conversation != "" {
		c, err := r.Store.Conversation(ctx, opts.Conversation)
		if err != nil {
			return nil, 0, fmt.Errorf("replay: conversation %s: %w", opts.Conversation, err)
		}
		convs = []*store.Conversation{c}
	} else {
		all, err := r.Store.Conversations(ctx, store.Filter{})
		if err != nil {
			return nil, 0, fmt.Errorf("replay: list conversations: %w", err)
		}
		for _, c := range all {
			if opts.Since.IsZero() || !c.UpdatedAt.Before(opts.Since) {
				convs = append(convs, c)
			}
		}
		slices.Reverse(convs)
	}
	var todo []work
	n := 0
	for _, c := range convs {
		msgs, err := r.Store.Messages(ctx, c.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("replay: messages of %s: %w", c.ID, err)
		}
		found := false
		for _, m := range msgs {
			if m.Role != store.RoleCustomer || len(m.Parts) == 0 || (!opts.Since.IsZero() && m.CreatedAt.Before(opts.Since)) {
				continue
			}
			if slices.ContainsFunc(m.Parts, func(p store.BlobRef) bool { return readBy(stages, media.Kind(p.Kind)) }) {
				todo = append(todo, work{conv: c, msg: m})
				found = true
			}
		}
		if found {
			n++
		}
	}
	return todo, n, nil
}

func readBy(stages []perception.Stage, k media.Kind) bool {
	return slices.ContainsFunc(stages, func(s perception.Stage) bool { return s.Accepts(k) })
}

// message reads one message again with each stage and records and compares the results.
func (r *Replayer) message(ctx context.Context, w work, stages []perception.Stage, rep *Report) {
	items, err := r.items(ctx, w.msg)
	if err != nil {
		rep.Failed = append(rep.Failed, fmt.Sprintf("message %s#%d: %v", w.conv.ID, w.msg.Seq, err))
		return
	}
	current := map[string]string{}
	for _, s := range stages {
		current[s.Name()] = perception.VersionOf(s)
	}
	before := earlier(ctx, r.Results, w.msg, current)
	for _, s := range stages {
		var its []media.Item
		for _, it := range items {
			if s.Accepts(it.Kind) {
				its = append(its, it)
			}
		}
		if len(its) == 0 {
			continue
		}
		// Every reader is asked: a replay looks at what the stage can see in the media, whatever
		// the dialogue then routed.
		expect := perception.Expectation{Pack: w.conv.Pack, Images: []string{s.Name()}}
		obs, err := jobs.Perform(ctx, s, its, expect, r.Blobs)
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Sprintf("message %s#%d, %s: %v", w.conv.ID, w.msg.Seq, s.Name(), err))
			continue
		}
		rep.Readings++
		raw, err := json.Marshal(obs)
		if err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			continue
		}
		v := perception.VersionOf(s)
		stored, created, err := r.Results.PutStageResult(ctx, &store.StageResult{ConversationID: w.conv.ID, MessageID: w.msg.ID,
			Stage: s.Name(), StageVersion: v, Origin: store.OriginReplay, Observations: raw})
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Sprintf("message %s#%d, %s: %v", w.conv.ID, w.msg.Seq, s.Name(), err))
			continue
		}
		if created {
			rep.Recorded++
		}
		now, err := jobs.DecodeObservations(stored.Observations)
		if err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			continue
		}
		rep.Changes = append(rep.Changes, compare(w, s.Name(), before[s.Name()], facts(now), v)...)
	}
}

// items loads a message's parts.
func (r *Replayer) items(ctx context.Context, m *store.Message) ([]media.Item, error) {
	limits := r.Limits
	if limits == (media.Limits{}) {
		limits = media.DefaultLimits()
	}
	var items []media.Item
	for i, p := range m.Parts {
		k := media.Kind(p.Kind)
		rc, err := r.Blobs.Open(ctx, p.Hash)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, limits.MaxBytes(k)+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		it := media.Item{MessageID: m.ID, Part: i + 1, Kind: k, Data: data, ContentType: p.ContentType, Name: p.Name}
		switch k {
		case media.Image:
			it.Modality = media.ModImage
		case media.Audio:
			it.Modality = media.ModVoice
		case media.Video:
			it.Modality = media.ModVideo
		}
		items = append(items, it)
	}
	return items, nil
}

// reading is what a stage read of one fact, and with which version.
type reading struct {
	value   string
	version string
}

// facts keeps the observations worth comparing: slot values and transcripts, by fact name.
func facts(obs []perception.Observation) map[string]reading {
	out := map[string]reading{}
	for _, o := range obs {
		var name string
		switch {
		case o.Kind == perception.KindEntity && o.Slot != "":
			name = o.Slot
		case o.Kind == perception.KindTranscript, o.Kind == perception.KindNotCheck, o.Kind == perception.KindAnswer:
			name = o.Kind
		case o.Slot != "" && o.Kind != perception.KindArtifact:
			name = o.Kind + " " + o.Slot
		default:
			continue
		}
		v := format(name, o)
		if prev, ok := out[name]; ok && prev.value != v {
			v = prev.value + ", " + v
		}
		out[name] = reading{value: v, version: o.StageVersion}
	}
	return out
}

// earlier returns, per stage, the facts read before: the latest replay by another version of the
// stage than the current one when there is one, else the message's own observations.
func earlier(ctx context.Context, results store.StageResults, m *store.Message, current map[string]string) map[string]map[string]reading {
	out := map[string]map[string]reading{}
	var own []perception.Observation
	if len(m.Observations) > 0 {
		own, _ = jobs.DecodeObservations(m.Observations)
	}
	byStage := map[string][]perception.Observation{}
	for _, o := range own {
		byStage[o.Source.Stage] = append(byStage[o.Source.Stage], o)
	}
	for st, obs := range byStage {
		out[st] = facts(obs)
	}
	all, err := results.StageResults(ctx, m.ConversationID)
	if err != nil {
		return out
	}
	for _, r := range all { // oldest first: the latest replay wins
		if r.MessageID != m.ID || r.Origin != store.OriginReplay || r.StageVersion == current[r.Stage] {
			continue
		}
		obs, err := jobs.DecodeObservations(r.Observations)
		if err != nil {
			continue
		}
		f := facts(obs)
		for k, v := range f {
			if v.version == "" {
				v.version = r.StageVersion
				f[k] = v
			}
		}
		out[r.Stage] = f
	}
	return out
}

// compare lists the facts read differently now than before.
func compare(w work, stage string, before map[string]reading, now map[string]reading, v string) []Change {
	var out []Change
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range now {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, n := before[k], now[k]
		if b.value == n.value {
			continue
		}
		out = append(out, Change{ConversationID: w.conv.ID, MessageID: w.msg.ID, Seq: w.msg.Seq, Stage: stage, Fact: k,
			Old: b.value, New: n.value, OldVersion: b.version, NewVersion: v})
	}
	return out
}

// format writes a value as a person reads it: amounts with two decimals and thousands
// separators, strings as they are.
func format(name string, o perception.Observation) string {
	switch v := o.Value.(type) {
	case float64:
		if strings.Contains(name, "amount") {
			return money(v)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	case nil:
		return o.Text
	case bool:
		return strconv.FormatBool(v)
	}
	raw, _ := json.Marshal(o.Value)
	return string(raw)
}

// money formats 1030 as 1,030.00.
func money(v float64) string {
	neg := v < 0
	cents := int64(math.Round(math.Abs(v) * 100))
	s := strconv.FormatInt(cents/100, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	s += fmt.Sprintf(".%02d", cents%100)
	if neg {
		s = "-" + s
	}
	return s
}
