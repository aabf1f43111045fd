// Package conversation owns a conversation's turn from end to end: it loads the versioned state
// from the store, runs perception, fuses what was seen into the state, asks the dialogue for the
// reply, saves the reply and the new state and publishes the events. The HTTP API, the live
// WebSocket and the OpenAI-compatible endpoint all call it.
//
// Several processes may serve one conversation at once over a shared store. A save names the
// version of the state it started from; when another process saved first the store answers
// store.ErrConflict and the service redoes the change on the fresh state (perception is kept when
// what the dialogue expects did not change). Within one process the turns of a conversation are
// also serialised by a lock, so a single node never conflicts with itself. A process keeps the
// state it last saved, decoded, and reuses it while the stored version is still the one it saved.
package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
)

// MaxAttempts bounds how often one change is redone after a conflicting save.
const MaxAttempts = 8

// ErrContended is returned when a change kept conflicting with other saves MaxAttempts times.
var ErrContended = errors.New("conversation: too many concurrent changes, try again")

// Speaker turns reply text into speech audio.
type Speaker interface {
	Speak(ctx context.Context, text string, style dialogue.Style) (data []byte, contentType string, err error)
}

// Hooks are told what the service did, for metrics and delivery; every field may be nil. They
// run only after the change they describe is saved.
type Hooks struct {
	// Publish sends a conversation's events to its subscribers.
	Publish func(conversationID string, evs ...dialogue.Event)
	// Act queues an action for delivery (webhooks).
	Act func(ctx context.Context, conversationID string, a dialogue.Action)
	// Part counts a message part read by perception.
	Part func(kind media.Kind)
	// Turn counts a finished turn of a pack.
	Turn func(pack string)
	// Resolved records a conversation resolved after the given time.
	Resolved func(pack string, after time.Duration)
	// Handoff counts a conversation handed to a person.
	Handoff func()
	// Output records how long an output (a diagnostic document) took to make.
	Output func(pack, name string, seconds float64)
	// Conflict counts a change redone because another process saved first.
	Conflict func()
}

// Config is what a Service is built from. Store, Blobs, Packs, Pipeline and Engine are required.
type Config struct {
	Store    store.Store
	Blobs    store.Blobs
	Packs    *kb.Library
	Pipeline *perception.Pipeline
	Engine   *dialogue.Engine
	Hooks    Hooks
	Log      *slog.Logger
	Now      func() time.Time
	// Limits bound the parts of a live message.
	Limits media.Limits
	// TurnTimeout bounds one turn (none when zero).
	TurnTimeout time.Duration
	// Video expands a video part into frames and its audio track; nil leaves videos whole.
	Video func(ctx context.Context, item media.Item) ([]media.Item, error)
	// Speaker voices replies; SpeechReply is "always", "never" or anything else for "when the
	// customer spoke".
	Speaker     Speaker
	SpeechReply string
	// Documents, when set, returns the conversation's last document readings (a check) from the
	// store, for the stages that record what was done with them; otherwise the readings this
	// process made are used.
	Documents func(ctx context.Context, conversationID string) []perception.Observation
}

// Service runs conversation turns.
type Service struct {
	cfg   Config
	log   *slog.Logger
	locks locks
	// docs keeps the last reading of each document kind (a check) per conversation, so stages
	// can record what was done with it when the flow acts on it later.
	docs documents
	// cache keeps the state this process last saved, checked by version at the next save.
	cache snapshots
}

// New checks cfg and returns a service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Blobs == nil || cfg.Packs == nil || cfg.Pipeline == nil || cfg.Engine == nil {
		return nil, errors.New("conversation: the store, blobs, packs, pipeline and engine are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == (media.Limits{}) {
		cfg.Limits = media.DefaultLimits()
	}
	return &Service{cfg: cfg, log: cfg.Log}, nil
}

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

func (s *Service) publish(id string, evs ...dialogue.Event) {
	if s.cfg.Hooks.Publish != nil && len(evs) > 0 {
		s.cfg.Hooks.Publish(id, evs...)
	}
}

// Snapshot is a conversation as stored: its row (with its version) and its decoded state.
type Snapshot struct {
	Conv  *store.Conversation
	State *dialogue.State
}

// Load reads a conversation and decodes its state; store.ErrNotFound for an unknown ID.
func (s *Service) Load(ctx context.Context, id string) (*Snapshot, error) {
	c, err := s.cfg.Store.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	return decode(c)
}

// decode decodes a stored conversation's state.
func decode(c *store.Conversation) (*Snapshot, error) {
	st := dialogue.NewState(c.Pack)
	if len(c.State) > 0 {
		if err := json.Unmarshal(c.State, st); err != nil {
			return nil, fmt.Errorf("conversation %s: state: %w", c.ID, err)
		}
	}
	return &Snapshot{Conv: c, State: st}, nil
}

// Check returns store.ErrNotFound when the conversation does not exist, without decoding it.
func (s *Service) Check(ctx context.Context, id string) error {
	if s.cache.has(id) {
		return nil // conversations are never deleted
	}
	_, err := s.cfg.Store.Conversation(ctx, id)
	return err
}

// Create stores a new open conversation of pack under id (a new ID when empty).
func (s *Service) Create(ctx context.Context, id, pack string) (*store.Conversation, error) {
	if _, err := s.cfg.Packs.Pack(pack); err != nil {
		return nil, err
	}
	now := s.now()
	st := dialogue.NewState(pack)
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	c := &store.Conversation{ID: id, Pack: pack, Status: store.StatusOpen, CreatedAt: now, UpdatedAt: now, State: raw}
	if err := s.cfg.Store.CreateConversation(ctx, c); err != nil {
		return nil, err
	}
	cp := *c
	s.cache.put(&Snapshot{Conv: &cp, State: st})
	return c, nil
}

// start returns the state a change begins from: the stored row, with the state this process
// last saved when the stored version is still that one (no decoding), decoded otherwise.
func (s *Service) start(ctx context.Context, id string) (*Snapshot, error) {
	c, err := s.cfg.Store.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	if snap := s.cache.take(id); snap != nil && snap.Conv.Version == c.Version {
		snap.Conv = c
		return snap, nil
	}
	return decode(c)
}

// Change is one change being made to a conversation. The function given to Update may run more
// than once (on fresh state each time), so it changes only the Change and records its effects
// with Publish and After.
type Change struct {
	*Snapshot
	events  []dialogue.Event
	after   []func()
	handoff bool
}

// Publish queues events to publish once the change is saved.
func (ch *Change) Publish(evs ...dialogue.Event) { ch.events = append(ch.events, evs...) }

// After queues fn to run once the change is saved.
func (ch *Change) After(fn func()) { ch.after = append(ch.after, fn) }

// StartHandoff puts the conversation in the human queue.
func (s *Service) StartHandoff(ch *Change, h *dialogue.HandoffRequest) {
	ch.State.Handoff = true
	ch.Conv.Status = store.StatusHandoff
	ch.Conv.Handoff = &store.Handoff{Reason: h.Reason, Summary: h.Summary, At: s.now()}
	ch.handoff = true
	ev := *ch.Conv.Handoff
	ch.Publish(dialogue.Event{Type: "handoff", Data: &ev})
}

// Update applies fn to the conversation and saves it, redoing fn on fresh state when another
// process saved in between. What fn reads from the change it must copy: the change is kept for
// the next one once saved.
func (s *Service) Update(ctx context.Context, id string, fn func(ch *Change) error) error {
	defer s.locks.lock(id)()
	for attempt := 1; ; attempt++ {
		snap, err := s.start(ctx, id)
		if err != nil {
			return err
		}
		ch := &Change{Snapshot: snap}
		if err := fn(ch); err != nil {
			return err
		}
		err = s.save(ctx, ch.Snapshot)
		if errors.Is(err, store.ErrConflict) {
			if err := s.conflicted(attempt); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		s.cache.put(ch.Snapshot)
		s.finish(ch)
		return nil
	}
}

// conflicted counts a conflicting save and says whether to try again.
func (s *Service) conflicted(attempt int) error {
	if s.cfg.Hooks.Conflict != nil {
		s.cfg.Hooks.Conflict()
	}
	if attempt >= MaxAttempts {
		return ErrContended
	}
	return nil
}

// finish runs a saved change's effects: metrics, then events.
func (s *Service) finish(ch *Change) {
	if ch.handoff && s.cfg.Hooks.Handoff != nil {
		s.cfg.Hooks.Handoff()
	}
	for _, fn := range ch.after {
		fn()
	}
	s.publish(ch.Conv.ID, ch.events...)
}

// save encodes the state into the row and stores it over the version it was read at.
func (s *Service) save(ctx context.Context, snap *Snapshot) error {
	raw, err := json.Marshal(snap.State)
	if err != nil {
		return err
	}
	snap.Conv.State = raw
	snap.Conv.UpdatedAt = s.now()
	return s.cfg.Store.UpdateConversation(ctx, snap.Conv)
}

// Fuse adds observations made outside a message (live camera frames, on-device scores) to the
// conversation's state and publishes what changed, followed by extra events. It returns the
// affect after them.
func (s *Service) Fuse(ctx context.Context, id string, obs []perception.Observation, extra ...dialogue.Event) (dialogue.Affect, error) {
	var affect dialogue.Affect
	err := s.Update(ctx, id, func(ch *Change) error {
		ch.Publish(s.cfg.Engine.Observe(ch.State, obs)...)
		ch.Publish(extra...)
		affect = ch.State.Affect
		return nil
	})
	return affect, err
}

// Observe runs perception on items (camera frames) and fuses what it saw, without a reply.
func (s *Service) Observe(ctx context.Context, id string, items []media.Item) error {
	snap, err := s.Load(ctx, id)
	if err != nil {
		return err
	}
	started := snap.Conv.CreatedAt
	// Live frames come without a message or a time: the face stage keeps each call's face tracks
	// and cue baselines under the conversation, placed in time since it began.
	for i := range items {
		if items[i].MessageID == "" {
			items[i].MessageID = "live:" + id
		}
		if items[i].Offset == 0 && !started.IsZero() {
			items[i].Offset = max(time.Millisecond, s.now().Sub(started))
		}
	}
	obs, _ := s.cfg.Pipeline.Run(ctx, items, s.cfg.Engine.Expectation(snap.State))
	if len(obs) == 0 {
		return nil
	}
	_, err = s.Fuse(ctx, id, obs)
	return err
}

// locks serialises the changes of one conversation within this process.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	mu sync.Mutex
	n  int // holders and waiters
}

// lock takes the conversation's lock and returns its release.
func (l *locks) lock(id string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*lockEntry{}
	}
	e := l.m[id]
	if e == nil {
		e = &lockEntry{}
		l.m[id] = e
	}
	e.n++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		if e.n--; e.n == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}

// maxDocuments bounds the conversations whose last document reading is kept in memory.
const maxDocuments = 10000

// documents keeps recent document readings by conversation and kind.
type documents struct {
	mu sync.Mutex
	m  map[string]map[string]perception.Observation
}

func (d *documents) keep(id string, o perception.Observation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]map[string]perception.Observation{}
	}
	if d.m[id] == nil {
		for k := range d.m {
			if len(d.m) < maxDocuments {
				break
			}
			delete(d.m, k)
		}
		d.m[id] = map[string]perception.Observation{}
	}
	d.m[id][o.Kind] = o
}

func (d *documents) of(id string) []perception.Observation {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []perception.Observation
	for _, o := range d.m[id] {
		out = append(out, o)
	}
	return out
}
