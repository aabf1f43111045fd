package server

import (
	"bytes"
	"compress/gzip"
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

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/face"
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
		e.sent = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_edge_bytes_sent_total", Help: "Bytes devices sent up in place of raw media, by kind."}, []string{"kind"})
		e.raw = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_edge_bytes_raw_total", Help: "Bytes the raw media would have cost, by kind."}, []string{"kind"})
		s.metrics.reg.MustRegister(e.sent, e.raw)
	})
	return e
}

// countBytes records bytes a conversation's device sent up and the raw media's cost.
func (s *Server) countBytes(conv, kind string, sent, raw int64) byteCount {
	e := s.edgeInit()
	e.sent.WithLabelValues(kind).Add(float64(sent))
	e.raw.WithLabelValues(kind).Add(float64(raw))
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[conv]
	if c == nil {
		c = &byteCount{}
		e.convs[conv] = c
	}
	c.add(kind, sent, raw)
	e.total.add(kind, sent, raw)
	return c.copy()
}

// edgeTotals is the bytes section of GET /v1/stats.
func (s *Server) edgeTotals() map[string]any {
	e := s.edgeInit()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]any{"conversations": len(e.convs), "sent": e.total.Sent, "raw": e.total.Raw, "saved_ratio": nil}
	if e.total.Raw > 0 {
		out["saved_ratio"] = 1 - float64(e.total.Sent)/float64(e.total.Raw)
	}
	return out
}

// edgeReport is the body of POST /v1/conversations/{id}/edge: what the device observed and the
// bytes it sent up instead of raw media.
type edgeReport struct {
	Observations []struct {
		Kind       string             `json:"kind"` // emotion
		Value      map[string]float64 `json:"value"`
		Confidence float64            `json:"confidence"`
		OffsetMS   int64              `json:"offset_ms"`
	} `json:"observations"`
	Bytes []struct {
		Kind string `json:"kind"` // video, photo or audio
		Sent int64  `json:"sent"`
		Raw  int64  `json:"raw"`
	} `json:"bytes"`
}

// EdgeStage prefixes the stage of observations made on the device.
const EdgeStage = "edge"

// handleEdge is POST /v1/conversations/{id}/edge. On-device expression scores become evidence with
// the stage edge.face and feed the conversation's affect; they never fill a slot, so irreversible
// actions (a deposit) still rest on what the server's own stages read from uploads.
func (s *Server) handleEdge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	var req edgeReport
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Observations) > 64 || len(req.Bytes) > 16 {
		s.fail(w, r, errorf(http.StatusRequestEntityTooLarge, "too_large", "at most 64 observations and 16 byte counts per report"))
		return
	}
	var obs []perception.Observation
	for i, o := range req.Observations {
		if o.Kind != perception.KindEmotion {
			s.fail(w, r, errorf(http.StatusBadRequest, "invalid_observation", fmt.Sprintf("observations[%d].kind %q: want emotion", i, o.Kind)))
			return
		}
		if err := validScores(o.Value); err != nil || o.Confidence < 0 || o.Confidence > 1 || o.OffsetMS < 0 {
			s.fail(w, r, errorf(http.StatusBadRequest, "invalid_observation", fmt.Sprintf("observations[%d]: %v", i, err)))
			return
		}
		obs = append(obs, perception.Observation{
			Kind: perception.KindEmotion, Value: o.Value, Confidence: o.Confidence, Text: "on-device expression",
			Source: perception.Source{MessageID: "live:" + id, Modality: media.ModVideo, Stage: EdgeStage + "." + face.StageID,
				Start: time.Duration(o.OffsetMS) * time.Millisecond, End: time.Duration(o.OffsetMS) * time.Millisecond},
		})
	}
	var counts byteCount
	for i, b := range req.Bytes {
		if !slices.Contains([]string{"video", "photo", "audio"}, b.Kind) || b.Sent < 0 || b.Raw < 0 {
			s.fail(w, r, errorf(http.StatusBadRequest, "invalid_bytes", fmt.Sprintf("bytes[%d]: kind video, photo or audio with sent and raw >= 0", i)))
			return
		}
	}
	for _, b := range req.Bytes {
		counts = s.countBytes(id, b.Kind, b.Sent, b.Raw)
	}
	if len(obs) > 0 {
		affect, err := s.conv.Fuse(r.Context(), id, obs, dialogue.Event{Type: "edge", Data: map[string]any{"observations": len(obs)}})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"accepted": len(obs), "affect": affect, "bytes": counts})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accepted": 0, "bytes": counts})
}

// validScores checks expression scores: known names, each in [0, 1].
func validScores(v map[string]float64) error {
	if len(v) == 0 {
		return fmt.Errorf("value needs the expression scores")
	}
	for k, p := range v {
		if !slices.Contains(face.Expressions[:], k) {
			return fmt.Errorf("unknown expression %q", k)
		}
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("score %s=%v is outside [0, 1]", k, p)
		}
	}
	return nil
}

// handleBytes is GET /v1/conversations/{id}/bytes.
func (s *Server) handleBytes(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	e := s.edgeInit()
	e.mu.Lock()
	c := byteCount{}
	if got := e.convs[id]; got != nil {
		c = got.copy()
	}
	e.mu.Unlock()
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
		if !slices.Contains(edge.FaceModels, name) || s.cfg.ModelDir == "" {
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
