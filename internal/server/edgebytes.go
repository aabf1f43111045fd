package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/store"
)

// edgeState counts what devices send up instead of raw media, and caches the edge assets.
type edgeState struct {
	once   sync.Once
	mu     sync.Mutex
	convs  map[string]*byteCount
	total  byteCount
	sent   *prometheus.CounterVec
	raw    *prometheus.CounterVec
	assets map[string]*edgeAsset
	// lowFace counts, per conversation, the latest video reports in a row without a clear face.
	lowFace map[string]int
}

// byteCount is bytes sent up and what the raw media would have cost, by kind.
type byteCount struct {
	Sent   int64            `json:"sent"`
	Raw    int64            `json:"raw"`
	BySent map[string]int64 `json:"sent_by_kind"`
	ByRaw  map[string]int64 `json:"raw_by_kind"`
}

func (b *byteCount) add(kind string, sent, raw int64) {
	if b.BySent == nil {
		b.BySent, b.ByRaw = map[string]int64{}, map[string]int64{}
	}
	b.Sent += sent
	b.Raw += raw
	b.BySent[kind] += sent
	b.ByRaw[kind] += raw
}

func (b byteCount) copy() byteCount {
	c := byteCount{Sent: b.Sent, Raw: b.Raw, BySent: map[string]int64{}, ByRaw: map[string]int64{}}
	for k, v := range b.BySent {
		c.BySent[k] = v
	}
	for k, v := range b.ByRaw {
		c.ByRaw[k] = v
	}
	return c
}

func (s *Server) edgeInit() *edgeState {
	e := &s.edge
	e.once.Do(func() {
		e.convs = map[string]*byteCount{}
		e.assets = map[string]*edgeAsset{}
		e.lowFace = map[string]int{}
		e.sent = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_edge_bytes_sent_total", Help: "Bytes devices sent up in place of raw media, by kind."}, []string{"kind"})
		e.raw = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_edge_bytes_raw_total", Help: "Bytes the raw media would have cost, by kind."}, []string{"kind"})
		s.metrics.reg.MustRegister(e.sent, e.raw)
	})
	return e
}

// counters returns the store's edge byte counters, or nil when the store keeps none (then the
// counts live in this process only).
func (s *Server) counters() store.EdgeCounters {
	c, _ := s.store.(store.EdgeCounters)
	return c
}

// countBytes records bytes a conversation's device sent up and the raw media's cost, in the store
// so that every node sees them.
func (s *Server) countBytes(ctx context.Context, conv, kind string, sent, raw int64) error {
	e := s.edgeInit()
	e.sent.WithLabelValues(kind).Add(float64(sent))
	e.raw.WithLabelValues(kind).Add(float64(raw))
	if c := s.counters(); c != nil {
		return c.AddEdgeBytes(ctx, conv, kind, sent, raw)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[conv]
	if c == nil {
		c = &byteCount{}
		e.convs[conv] = c
	}
	c.add(kind, sent, raw)
	e.total.add(kind, sent, raw)
	return nil
}

// conversationBytes returns one conversation's counts.
func (s *Server) conversationBytes(ctx context.Context, conv string) (byteCount, error) {
	if c := s.counters(); c != nil {
		rows, err := c.EdgeBytes(ctx, conv)
		var out byteCount
		for _, r := range rows {
			out.add(r.Kind, r.Sent, r.Raw)
		}
		return out.copy(), err
	}
	e := s.edgeInit()
	e.mu.Lock()
	defer e.mu.Unlock()
	if got := e.convs[conv]; got != nil {
		return got.copy(), nil
	}
	return byteCount{}.copy(), nil
}

// edgeTotals is the bytes section of GET /v1/stats: every conversation's counts summed.
func (s *Server) edgeTotals(ctx context.Context) map[string]any {
	e := s.edgeInit()
	total, convs := byteCount{}, 0
	if c := s.counters(); c != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		t, err := c.EdgeTotals(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "edge byte totals unavailable", "err", err)
		}
		for _, k := range t.Kinds {
			total.add(k.Kind, k.Sent, k.Raw)
		}
		convs = t.Conversations
	} else {
		e.mu.Lock()
		total, convs = e.total.copy(), len(e.convs)
		e.mu.Unlock()
	}
	out := map[string]any{"conversations": convs, "sent": total.Sent, "raw": total.Raw, "saved_ratio": nil,
		"sent_by_kind": total.copy().BySent, "raw_by_kind": total.copy().ByRaw}
	if total.Raw > 0 {
		out["saved_ratio"] = 1 - float64(total.Sent)/float64(total.Raw)
	}
	return out
}

// handleBytes is GET /v1/conversations/{id}/bytes.
func (s *Server) handleBytes(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.conversationBytes(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// edgeAsset is a built edge file held with its gzip form and content hash.
type edgeAsset struct {
	mod        time.Time
	data, gz   []byte
	hash, kind string
}

// edgeFiles are what GET /edge/ serves from the edge directory (make build writes them).
var edgeFiles = map[string]string{"parley.wasm": "application/wasm", "wasm_exec.js": "text/javascript; charset=utf-8"}

func (s *Server) edgeAsset(name string) (*edgeAsset, error) {
	kind, ok := edgeFiles[name]
	dir := s.cfg.EdgeDir
	if !ok {
		if !slices.Contains(edge.FaceModels, name) && !slices.Contains(edge.LandmarkModels, name) || s.cfg.ModelDir == "" {
			return nil, os.ErrNotExist
		}
		kind, dir = "application/octet-stream", s.cfg.ModelDir
		if strings.HasSuffix(name, ".json") {
			kind = "application/json"
		}
	}
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	e := s.edgeInit()
	e.mu.Lock()
	defer e.mu.Unlock()
	if a := e.assets[name]; a != nil && a.mod.Equal(st.ModTime()) {
		return a, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	sum := sha256.Sum256(data)
	a := &edgeAsset{mod: st.ModTime(), data: data, gz: gz.Bytes(), hash: hex.EncodeToString(sum[:8]), kind: kind}
	e.assets[name] = a
	return a, nil
}

// handleEdgeManifest is GET /edge/manifest.json: the edge files' hashed URLs and sizes, or 404 when
// they are not built (the web chat then keeps to the server path).
func (s *Server) handleEdgeManifest(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for name := range edgeFiles {
		a, err := s.edgeAsset(name)
		if err != nil {
			s.fail(w, r, errorf(http.StatusNotFound, "edge_not_built", "the edge WebAssembly is not built (make build)"))
			return
		}
		out[strings.TrimSuffix(strings.TrimSuffix(name, ".wasm"), ".js")] = map[string]any{"url": "/edge/" + name + "?v=" + a.hash, "bytes": len(a.data), "gzip_bytes": len(a.gz)}
	}
	// The face models, when installed: the page loads them for on-device expressions.
	models := map[string]any{}
	for _, name := range edge.FaceModels {
		if a, err := s.edgeAsset(name); err == nil {
			models[name] = map[string]any{"url": "/edge/" + name + "?v=" + a.hash, "bytes": len(a.data), "gzip_bytes": len(a.gz)}
		}
	}
	if len(models) == len(edge.FaceModels) {
		out["face_models"] = models
		// facemesh, when installed: the page reads the landmark cues too.
		marks := map[string]any{}
		for _, name := range edge.LandmarkModels {
			if a, err := s.edgeAsset(name); err == nil {
				marks[name] = map[string]any{"url": "/edge/" + name + "?v=" + a.hash, "bytes": len(a.data), "gzip_bytes": len(a.gz)}
			}
		}
		if len(marks) == len(edge.LandmarkModels) {
			out["landmark_models"] = marks
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, out)
}

// handleEdgeFile is GET /edge/{name} (the WebAssembly, wasm_exec.js and the face models): gzip when the browser takes it, cached for a year when
// asked for by its hash (?v=), revalidated by ETag otherwise.
func (s *Server) handleEdgeFile(w http.ResponseWriter, r *http.Request) {
	a, err := s.edgeAsset(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such edge file"))
		return
	}
	etag := `"` + a.hash + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", a.kind)
	body := a.data
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write(body)
}
