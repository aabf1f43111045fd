package e2e

// A stand-in for the Parley server, used only while internal/server does not build. It follows the
// HTTP API and live protocol closely enough to exercise the web client's plumbing.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/parleyhq/parley/web"
)

type fakeServer struct {
	mu    sync.Mutex
	convs map[string]*fakeConv
	blobs map[string][]byte
	mux   *http.ServeMux
}

type fakeConv struct {
	ID, Pack string
	Messages []map[string]any
	State    map[string]any
	subs     []chan [2]string
}

func newFakeServer() *fakeServer {
	f := &fakeServer{convs: map[string]*fakeConv{}, blobs: map[string][]byte{}, mux: http.NewServeMux()}
	f.mux.Handle("/", web.Handler())
	f.mux.HandleFunc("POST /v1/conversations", f.create)
	f.mux.HandleFunc("GET /v1/conversations/{id}", f.get)
	f.mux.HandleFunc("POST /v1/conversations/{id}/messages", f.message)
	f.mux.HandleFunc("GET /v1/conversations/{id}/events", f.events)
	f.mux.HandleFunc("GET /v1/conversations/{id}/live", f.live)
	f.mux.HandleFunc("GET /v1/blobs/{hash}", f.blob)
	f.mux.HandleFunc("GET /v1/stats", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"conversations": len(f.convs), "csat_avg": 4.5, "modality_mix": map[string]int{"text": 3, "image": 1, "voice": 2}})
	})
	return f
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) conv(w http.ResponseWriter, r *http.Request) *fakeConv {
	f.mu.Lock()
	c := f.convs[r.PathValue("id")]
	f.mu.Unlock()
	if c == nil {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such conversation"}})
	}
	return c
}

func (f *fakeServer) create(w http.ResponseWriter, r *http.Request) {
	var req struct{ Pack string }
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	id := fmt.Sprintf("c%d", len(f.convs)+1)
	f.convs[id] = &fakeConv{ID: id, Pack: req.Pack, State: map[string]any{"pack": req.Pack, "slots": map[string]any{}, "affect": map[string]any{"frustration": 0.0, "confusion": 0.0}}}
	f.mu.Unlock()
	writeJSON(w, 201, map[string]string{"id": id})
}

func (f *fakeServer) get(w http.ResponseWriter, r *http.Request) {
	if c := f.conv(w, r); c != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": c.ID, "pack": c.Pack, "status": "open", "messages": c.Messages, "state": c.State})
	}
}

func (f *fakeServer) blob(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	b, ok := f.blobs[r.PathValue("hash")]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(b))
	w.Write(b)
}

var fakeAmount = regexp.MustCompile(`\$\s?([0-9][0-9,]*(?:\.[0-9]{2})?)`)

// turn records a customer message and builds the fake reply.
func (f *fakeServer) turn(c *fakeConv, text string, parts []map[string]any, note string) (string, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("m%d", len(c.Messages)+1)
	slots := c.State["slots"].(map[string]any)
	if m := fakeAmount.FindStringSubmatch(text); m != nil {
		v, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		slots["amount"] = map[string]any{"value": v, "status": "proposed", "evidence": []any{map[string]any{"modality": "text", "stage": "fake", "confidence": 0.9, "message_id": id}}}
		c.State["skill"] = "deposit_check"
	}
	say := "Got it."
	if note != "" {
		say += " " + note
	}
	reply := map[string]any{"parts": []any{map[string]any{"type": "text", "text": say}, map[string]any{"type": "action", "text": "deposit"}},
		"style": map[string]any{"rate_wpm": 130, "pause_ms": 600, "steps_per_message": 1, "simplified": true}}
	c.Messages = append(c.Messages, map[string]any{"id": id, "role": "customer", "text": text, "parts": parts, "reply": reply})
	for _, s := range c.subs {
		select {
		case s <- [2]string{"state", mustJSON(c.State)}:
		default:
		}
	}
	return id, reply
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func (f *fakeServer) message(w http.ResponseWriter, r *http.Request) {
	c := f.conv(w, r)
	if c == nil {
		return
	}
	var text, note string
	var parts []map[string]any
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": err.Error()}})
			return
		}
		text = r.FormValue("text")
		for _, kind := range []string{"image", "audio", "video"} {
			for _, fh := range r.MultipartForm.File[kind] {
				rd, _ := fh.Open()
				b, _ := io.ReadAll(rd)
				rd.Close()
				sum := sha256.Sum256(b)
				h := hex.EncodeToString(sum[:])
				f.mu.Lock()
				f.blobs[h] = b
				f.mu.Unlock()
				parts = append(parts, map[string]any{"kind": kind, "url": "/v1/blobs/" + h, "mime": fh.Header.Get("Content-Type")})
				if kind == "audio" {
					note += describeWAV(b)
				}
			}
		}
	} else {
		var req struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_json", "message": err.Error()}})
			return
		}
		text = req.Text
	}
	id, reply := f.turn(c, text, parts, note)
	f.mu.Lock()
	state := c.State
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"message_id": id, "reply": reply, "state": json.RawMessage(mustJSON(state))})
}

// describeWAV reports the rate, length and loudness of a 16-bit PCM WAV.
func describeWAV(b []byte) string {
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return "not a WAV"
	}
	rate := binary.LittleEndian.Uint32(b[24:])
	bits := binary.LittleEndian.Uint16(b[34:])
	pcm := b[44:]
	var sum float64
	n := len(pcm) / 2
	for i := 0; i < n; i++ {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:])))
		sum += s * s
	}
	rms := math.Sqrt(sum / math.Max(1, float64(n)))
	return fmt.Sprintf("WAV %d Hz %d-bit %.1f s rms %.0f.", rate, bits, float64(n)/float64(rate), rms)
}

func (f *fakeServer) events(w http.ResponseWriter, r *http.Request) {
	c := f.conv(w, r)
	if c == nil {
		return
	}
	ch := make(chan [2]string, 16)
	f.mu.Lock()
	c.subs = append(c.subs, ch)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev[0], ev[1])
			fl.Flush()
		}
	}
}

// live speaks the live protocol: an energy VAD ends an utterance after 600 ms of quiet.
func (f *fakeServer) live(w http.ResponseWriter, r *http.Request) {
	c := f.conv(w, r)
	if c == nil {
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	send := func(v any) { b, _ := json.Marshal(v); ws.Write(ctx, websocket.MessageText, b) }
	send(map[string]string{"type": "ready"})
	var speech, quiet, frames int
	speaking := false
	for {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageText {
			var m struct{ Type string }
			json.Unmarshal(b, &m)
			if m.Type == "frame" {
				frames++
				if frames%5 == 0 {
					send(map[string]any{"type": "affect", "affect": map[string]float64{"frustration": math.Min(1, float64(frames)/50), "confusion": 0.1}})
				}
			}
			continue
		}
		for i := 0; i+1 < len(b); i += 320 { // 10 ms windows at 16 kHz
			var e float64
			end := min(i+320, len(b)-1)
			for j := i; j+1 < end+1; j += 2 {
				s := float64(int16(binary.LittleEndian.Uint16(b[j:])))
				e += s * s
			}
			loud := math.Sqrt(e/160) > 500
			switch {
			case loud:
				speech++
				quiet = 0
				if !speaking && speech > 10 {
					speaking = true
					send(map[string]any{"type": "vad", "speaking": true})
				}
			case speaking:
				quiet++
				if quiet > 60 {
					speaking = false
					send(map[string]any{"type": "vad", "speaking": false})
					text := fmt.Sprintf("(%.1f s of speech)", float64(speech)/100)
					send(map[string]any{"type": "transcript", "text": text, "final": true})
					id, reply := f.turn(c, text, nil, "")
					send(map[string]any{"type": "reply", "message_id": id, "reply": reply, "state": c.State})
					ws.Write(ctx, websocket.MessageBinary, toneWAV())
					speech, quiet = 0, 0
				}
			default:
				speech = 0
			}
		}
	}
}

func toneWAV() []byte {
	const rate, n = 16000, 8000
	var buf bytes.Buffer
	buf.WriteString("RIFF")
	binary.Write(&buf, binary.LittleEndian, uint32(36+2*n))
	buf.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	buf.WriteString("data")
	binary.Write(&buf, binary.LittleEndian, uint32(2*n))
	for i := range n {
		binary.Write(&buf, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return buf.Bytes()
}
