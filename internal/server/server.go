// Package server is Parley's HTTP API: conversations, multimodal messages, events, live streams,
// the human-handoff queue, statistics and metrics. It stores every message durably before it
// acknowledges it, and maps errors to statuses only here, at the edge.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/media/frames"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/backend"
)

// Speaker turns reply text into speech audio.
type Speaker interface {
	Speak(ctx context.Context, text string, style dialogue.Style) (data []byte, contentType string, err error)
}

// VideoExpander splits a video into sampled frames and its audio track.
type VideoExpander func(ctx context.Context, item media.Item, limits media.Limits, fps float64) ([]media.Item, error)

// Options are the components a server is built from beyond its config; zero values are filled
// with the standard components.
type Options struct {
	Logger  *slog.Logger
	Speaker Speaker
	Video   VideoExpander
	// Live serves GET /v1/conversations/{id}/live; it is given the server as its Turner.
	Live func(s *Server) http.Handler
	// Webhook posts an action to a URL; the default is an HTTP POST with retries.
	Webhook func(ctx context.Context, url string, payload []byte) error
	// Stages replaces the registered perception stages (tests).
	Stages []perception.Stage
	Now    func() time.Time
}

// Server is a running Parley.
type Server struct {
	cfg  config.Config
	opts Options
	// video expands an uploaded video into the frames perception reads and its audio track:
	// Options.Video's frames, chosen by scene change and sharpness.
	video VideoExpander
	// orders are the placed parts orders.
	orders   orderBook
	log      *slog.Logger
	store    store.Store
	blobs    store.Blobs
	packs    *kb.Library
	pipeline *perception.Pipeline
	engine   *dialogue.Engine
	hub      *hub
	metrics  *metrics
	mux      *http.ServeMux
	queue    queue.Queue
	done     chan struct{}
	// writes counts replies and states on their way to the store.
	writes sync.WaitGroup
	// streams counts live connections; Close cancels them and waits.
	streamMu sync.Mutex
	streams  sync.WaitGroup
	closed   bool
	closeOne sync.Once
	// stopActions ends this server's share of action delivery.
	stopActions func()
	// Skipped lists the stages that could not start and why.
	Skipped map[string]error
	// edge counts bytes devices send up and serves the edge WebAssembly.
	edge edgeState

	// conv runs the turns: every conversation is read from the store and saved by version.
	conv *conversation.Service
	// fan carries events between the nodes sharing the store (nil for an embedded store).
	fan *fanout
	// access checks API keys and staff sessions (access.go).
	access accessState
}

// New builds a server from cfg: store, packs, perception stages, reasoner and dialogue engine.
// Whatever was opened is closed again if a later step fails.
func New(ctx context.Context, cfg config.Config, opts Options) (s *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: data dir: %w", err)
	}
	s = &Server{cfg: cfg, opts: opts, log: opts.Logger, hub: newHub(), metrics: newMetrics(), done: make(chan struct{})}
	s.orders.path = ordersPath(cfg.DataDir)
	var packFS fs.FS = packs.FS
	if cfg.PacksDir != "" {
		packFS = os.DirFS(cfg.PacksDir)
	}
	if s.packs, err = kb.Load(packFS); err != nil {
		return nil, err
	}
	if _, err := s.packs.Pack(cfg.DefaultPack); err != nil {
		return nil, fmt.Errorf("server: default_pack: %w", err)
	}
	if err := cfg.Tenants.Validate(func(p string) bool { _, err := s.packs.Pack(p); return err == nil }); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.store, s.blobs, err = backend.Open(ctx, backend.Config{Driver: cfg.Store.Driver, DSN: cfg.Store.DSN, DataDir: cfg.DataDir, Blobs: cfg.Store.Blobs})
	if err != nil {
		return nil, fmt.Errorf("server: store: %w", err)
	}
	defer func() {
		if err != nil {
			s.store.Close()
		}
	}()
	stages := opts.Stages
	if stages == nil {
		env := perception.Env{ModelDir: cfg.ModelDir, DataDir: cfg.DataDir, Packs: s.packs, Options: cfg.StageOptions}
		stages, s.Skipped, err = perception.Build(env, cfg.Stages)
		if err != nil {
			return nil, err
		}
		for id, why := range s.Skipped {
			s.log.Warn("perception stage unavailable", "stage", id, "why", why)
		}
		s.shareDeposits(ctx, stages)
	}
	if opts.Video != nil {
		s.video = VideoExpander(frames.Selecting(frames.Expander(opts.Video), frames.DefaultOptions()))
	}
	s.pipeline = perception.NewPipeline(stages...)
	s.pipeline.Observe = s.metrics.observeStage
	// The readers the packs route photos to see a photo only where the conversation sends it.
	s.pipeline.Readers = dialogue.Readers(s.packs)
	for id := range s.pipeline.Readers {
		if !slices.ContainsFunc(stages, func(st perception.Stage) bool { return st.Name() == id }) {
			s.log.Warn("a pack routes photos to a stage that is not running", "stage", id)
		}
	}
	s.engine = &dialogue.Engine{Packs: s.packs, Reasoner: s.reasoner(), Now: opts.Now}
	if s.fan, err = startFanout(ctx, s.store, s.hub, s.log); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && s.fan != nil {
			s.fan.close()
		}
	}()
	if s.queue, err = OpenQueue(ctx, cfg.Queue); err != nil {
		return nil, err
	}
	if err = s.subscribeActions(ctx); err != nil {
		s.queue.Close()
		return nil, err
	}
	if s.conv, err = s.conversations(); err != nil {
		s.stopActions()
		s.queue.Close()
		return nil, err
	}
	s.initAccess()
	s.routes()
	s.startRetention()
	return s, nil
}

func (s *Server) reasoner() reason.Reasoner { return s.router() }

// Handler returns the HTTP handler of the whole API and web client.
func (s *Server) Handler() http.Handler { return s.mux }

// Packs returns the loaded knowledge packs.
func (s *Server) Packs() *kb.Library { return s.packs }

// Stages returns the names of the running perception stages.
func (s *Server) Stages() []string {
	var names []string
	for _, st := range s.pipeline.Stages() {
		names = append(names, st.Name())
	}
	return names
}

func (s *Server) routes() {
	m := http.NewServeMux()
	// api routes take any key of the tenant; staff routes a secret key or a staff sign-in; admin
	// routes a secret key or an admin (access.go).
	api := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.guard(customerAPI, h)) }
	staff := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.guard(staffAPI, h)) }
	admin := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.guard(adminAPI, h)) }
	api("POST /v1/conversations", s.handleCreate)
	api("GET /v1/conversations/{id}", s.handleGet)
	api("POST /v1/conversations/{id}/messages", s.handleMessage)
	api("GET /v1/conversations/{id}/events", s.handleEvents)
	api("POST /v1/conversations/{id}/csat", s.handleCSAT)
	api("POST /v1/conversations/{id}/handoff", s.handleHandoff)
	staff("POST /v1/conversations/{id}/agent-reply", s.handleAgentReply)
	staff("GET /v1/handoffs", s.handleHandoffs)
	staff("GET /v1/stats", s.handleStats)
	staff("GET /v1/stats/charts", s.handleCharts)
	staff("GET /v1/explore", s.handleExplore)
	staff("GET /v1/conversations/{id}/timeline", s.handleTimeline)
	api("GET /v1/blobs/{hash}", s.handleBlob)
	api("GET /v1/packs", s.tenantPacks("packs", "name", s.handlePacks))
	api("GET /v1/packs/{pack}/assets/{name}", s.handleAsset)
	api("GET /v1/packs/{pack}/articles/{id}", s.handleArticle)
	api("GET /v1/packs/{pack}/parts", s.handleParts)
	api("POST /v1/orders", s.handleOrder)
	api("GET /v1/orders/{id}", s.handleGetOrder)
	api("POST /v1/chat/completions", s.handleChatCompletions)
	api("GET /v1/models", s.tenantPacks("data", "id", s.handleModels))
	api("GET /v1/models/{model}", s.handleModel)
	staff("GET /v1/conversations/{id}/decisions", s.handleDecisions)
	api("POST /v1/conversations/{id}/edge", s.handleEdge)
	staff("GET /v1/conversations/{id}/bytes", s.handleBytes)
	m.HandleFunc("POST /v1/auth/session", s.handleSignIn)
	api("GET /v1/auth/session", s.handleWhoAmI)
	api("DELETE /v1/auth/session", s.handleSignOut)
	admin("GET /v1/audit", s.handleAudit)
	admin("DELETE /v1/conversations/{id}", s.handleErase)
	m.HandleFunc("GET /edge/manifest.json", s.handleEdgeManifest)
	m.HandleFunc("GET /edge/{name}", s.handleEdgeFile)
	if s.opts.Live != nil {
		m.Handle("GET /v1/conversations/{id}/live", s.guard(customerAPI, s.stream(s.opts.Live(s))))
	}
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "stages": s.Stages()})
	})
	m.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	m.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPISpec)
	})
	m.Handle("/", s.pages(webHandler()))
	s.mux = m
}

// stream ties a long-lived connection (a hijacked WebSocket outlives the HTTP server's shutdown) to
// the server: Close cancels its context and waits for it to end.
func (s *Server) stream(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.streamMu.Lock()
		if s.closed {
			s.streamMu.Unlock()
			s.fail(w, r, errorf(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down"))
			return
		}
		s.streams.Add(1)
		s.streamMu.Unlock()
		defer s.streams.Done()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		h.ServeHTTP(w, r.WithContext(ctx))
	}
}

// Close ends live sessions (waiting for them until ctx ends), stops action delivery (queued actions wait in the queue), then closes the
// stages and the store.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOne.Do(func() {
		s.streamMu.Lock()
		s.closed = true
		s.streamMu.Unlock()
		close(s.done)
		waited := make(chan struct{})
		go func() { s.streams.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-ctx.Done():
			err = fmt.Errorf("server: live sessions still open: %w", ctx.Err())
		}
		s.writes.Wait()
		s.stopActions()
		err = errors.Join(err, s.queue.Close())
		for _, st := range s.pipeline.Stages() {
			if c, ok := st.(perception.Closer); ok {
				err = errors.Join(err, c.Close(ctx))
			}
		}
		if s.fan != nil {
			err = errors.Join(err, s.fan.close())
		}
		err = errors.Join(err, s.store.Close())
	})
	return err
}
