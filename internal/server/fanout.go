package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/store"
)

// eventsChannel is the notification channel conversation events travel on between nodes.
const eventsChannel = "parley_events"

// fanout sends the events published on this node to the other nodes sharing the store, and hands
// theirs to this node's subscribers, so an event stream on one node shows a reply made on another.
// Each payload is "node\nconversation\nevents as JSON"; a node drops its own and those of
// conversations nobody here follows without decoding them.
type fanout struct {
	node     string
	notifier store.Notifier
	hub      *hub
	log      *slog.Logger
	out      chan []byte
	sent     sync.WaitGroup
	listener io.Closer
	dropped  sync.Once
}

// startFanout listens for other nodes' events; nil when the store cannot notify (an embedded
// store serves one node).
func startFanout(ctx context.Context, st store.Store, h *hub, log *slog.Logger) (*fanout, error) {
	n, ok := st.(store.Notifier)
	if !ok {
		return nil, nil
	}
	f := &fanout{node: newID("n_"), notifier: n, hub: h, log: log, out: make(chan []byte, 4096)}
	l, err := n.Listen(ctx, eventsChannel, f.receive)
	if err != nil {
		return nil, err
	}
	f.listener = l
	f.sent.Add(1)
	go f.send()
	return f, nil
}

// publish queues events for the other nodes; it never blocks a turn.
func (f *fanout) publish(conv string, evs []dialogue.Event) {
	data, err := json.Marshal(evs)
	if err != nil {
		f.log.Warn("events not sent to other nodes", "conversation", conv, "err", err)
		return
	}
	msg := make([]byte, 0, len(f.node)+len(conv)+len(data)+2)
	msg = append(append(append(append(append(msg, f.node...), '\n'), conv...), '\n'), data...)
	select {
	case f.out <- msg:
	default:
		f.dropped.Do(func() { f.log.Warn("events for other nodes dropped: the database is not keeping up") })
	}
}

// recordSep separates the events of several publications sent in one notification; JSON escapes
// it in strings, and node and conversation IDs never hold it.
const recordSep = 0x1e

// batchBytes bounds a notification that carries several publications, so it still fits in one
// NOTIFY.
const batchBytes = 6000

// send notifies the queued events in order, joining what is waiting into one notification.
func (f *fanout) send() {
	defer f.sent.Done()
	var batch []byte
	for msg := range f.out {
		batch = append(batch[:0], msg...)
	join:
		for len(batch) < batchBytes {
			select {
			case more, ok := <-f.out:
				if !ok {
					break join
				}
				if len(batch)+1+len(more) > batchBytes {
					f.notify(batch)
					batch = batch[:0]
				} else {
					batch = append(batch, recordSep)
				}
				batch = append(batch, more...)
			default:
				break join
			}
		}
		f.notify(batch)
	}
}

func (f *fanout) notify(payload []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.notifier.Notify(ctx, eventsChannel, payload); err != nil {
		f.log.Warn("events not sent to other nodes", "err", err)
	}
}

// receive hands another node's events to this node's subscribers of their conversations.
func (f *fanout) receive(payload []byte) {
	for rec := range bytes.SplitSeq(payload, []byte{recordSep}) {
		f.receiveOne(rec)
	}
}

func (f *fanout) receiveOne(payload []byte) {
	node, rest, ok := bytes.Cut(payload, []byte{'\n'})
	if !ok || string(node) == f.node {
		return
	}
	conv, data, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok || !f.hub.following(string(conv)) {
		return
	}
	var evs []struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &evs); err != nil {
		f.log.Warn("unreadable events from another node", "err", err)
		return
	}
	out := make([]dialogue.Event, 0, len(evs))
	for _, ev := range evs {
		out = append(out, dialogue.Event{Type: ev.Type, Data: ev.Data})
	}
	f.hub.publish(string(conv), out...)
}

// close sends what is queued, then stops listening.
func (f *fanout) close() error {
	close(f.out)
	f.sent.Wait()
	return f.listener.Close()
}
