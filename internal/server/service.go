package server

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
)

// conversations builds the conversation service the handlers call, wired to this server's
// events, metrics and action delivery.
func (s *Server) conversations() (*conversation.Service, error) {
	m := s.metrics
	// Parts orders live in the store too, for every node (orders.go).
	s.orders.st, _ = s.store.(store.Orders)
	cfg := conversation.Config{
		Store: s.store, Blobs: s.blobs, Packs: s.packs, Pipeline: s.pipeline, Engine: s.engine,
		Log: s.log, Now: s.opts.Now, Limits: s.cfg.Limits, TurnTimeout: s.cfg.TurnTimeout,
		SpeechReply: s.cfg.Speech.Reply,
		Hooks: conversation.Hooks{
			Publish:  s.publish,
			Act:      s.dispatch,
			Part:     func(k media.Kind) { m.parts.WithLabelValues(string(k)).Inc() },
			Turn:     func(pack string) { m.turns.WithLabelValues(pack).Inc() },
			Handoff:  m.handoffs.Inc,
			Conflict: m.conflicts.Inc,
			Resolved: func(pack string, after time.Duration) {
				m.resolutions.Inc()
				m.resolution.WithLabelValues(pack).Observe(after.Seconds())
			},
			Output: func(pack, name string, seconds float64) { m.output.WithLabelValues(pack, name).Observe(seconds) },
		},
	}
	if _, shared := s.store.(store.Deposits); shared {
		cfg.Documents = s.storedDocuments
	}
	if s.opts.Speaker != nil {
		cfg.Speaker = s.opts.Speaker
	}
	if s.video != nil {
		cfg.Video = func(ctx context.Context, it media.Item) ([]media.Item, error) {
			return s.video(ctx, it, s.cfg.Limits, s.cfg.VideoFPS)
		}
	}
	if err := s.offload(); err != nil {
		return nil, err
	}
	return conversation.New(cfg)
}

// offload sends the stages queue.stages names to the shared queue as perception jobs, for
// `parley worker` processes to read (the nats driver only; the config checks that).
func (s *Server) offload() error {
	names := jobs.Parse(s.cfg.Queue.Stages)
	if len(names) == 0 {
		return nil
	}
	results, ok := s.store.(store.StageResults)
	if !ok {
		return fmt.Errorf("server: queue.stages: the %s store keeps no stage results", s.cfg.Store.Driver)
	}
	for name := range names {
		if !slices.ContainsFunc(s.pipeline.Stages(), func(st perception.Stage) bool { return st.Name() == name }) {
			s.log.Warn("queue.stages names a stage that is not running here; its parts are not read", "stage", name)
		}
	}
	s.pipeline.Offload = &jobs.Offloader{Queue: s.queue, Results: results, Blobs: s.blobs, Stages: names,
		MinBytes: s.cfg.Queue.MinBytes, Wait: s.cfg.Queue.Wait, Metrics: jobs.NewMetrics(s.metrics.reg), Log: s.log}
	return nil
}

// publish sends events of a conversation to its subscribers on this node and on the others.
func (s *Server) publish(id string, evs ...dialogue.Event) {
	s.hub.publish(id, evs...)
	if s.fan != nil && len(evs) > 0 {
		s.fan.publish(id, evs)
	}
}
