package live

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/parleyhq/parley/internal/testmedia"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
)

// fakeTurner records what it is given and answers with a fixed spoken reply.
type fakeTurner struct {
	mu       sync.Mutex
	turns    [][]media.Item
	observed []media.Item
	audio    []byte
}

func (f *fakeTurner) Turn(ctx context.Context, id string, items []media.Item) (dialogue.Reply, error) {
	f.mu.Lock()
	f.turns = append(f.turns, items)
	f.mu.Unlock()
	return dialogue.Reply{
		Parts: []dialogue.Part{{Type: "text", Text: "Sure, I can help with that."}, {Type: "audio", MIME: "audio/wav", Data: f.audio}},
		Style: dialogue.DefaultStyle(),
	}, nil
}

func (f *fakeTurner) Observe(ctx context.Context, id string, items []media.Item) error {
	f.mu.Lock()
	f.observed = append(f.observed, items...)
	f.mu.Unlock()
	return nil
}

func speak(t *testing.T, text string) []int16 { return testmedia.Speech(t, text).Samples }

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return b
}

// sendAudio streams samples in 40 ms chunks (faster than real time).
func sendAudio(t *testing.T, ctx context.Context, c *websocket.Conn, s []int16) {
	t.Helper()
	b := pcmBytes(s)
	for len(b) > 0 {
		n := min(len(b), 1280)
		if err := c.Write(ctx, websocket.MessageBinary, b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
}

type serverMsg struct {
	Type     string          `json:"type"`
	Speaking bool            `json:"speaking"`
	Message  string          `json:"message"`
	Reply    json.RawMessage `json:"reply"`
	binary   []byte
}

// next reads messages until one satisfies ok, failing after a timeout.
func next(t *testing.T, ctx context.Context, c *websocket.Conn, ok func(serverMsg) bool) serverMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		var m serverMsg
		if typ == websocket.MessageBinary {
			m = serverMsg{Type: "binary", binary: data}
		} else if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("bad message %s", data)
		}
		if m.Type == "error" {
			t.Logf("server error: %s", m.Message)
		}
		if ok(m) {
			return m
		}
	}
}

func is(typ string) func(serverMsg) bool { return func(m serverMsg) bool { return m.Type == typ } }

// dialLive serves h at the live path of conversation c1, connects to it and waits for "ready".
// The server and the connection close when the test ends.
func dialLive(t *testing.T, h http.Handler) *websocket.Conn {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /v1/conversations/{id}/live", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/conversations/c1/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(8 << 20)
	next(t, ctx, c, is("ready"))
	return c
}

func jpegFrame(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(1, 1, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestLiveConversation(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech through a WebSocket")
	}
	before := runtime.NumGoroutine()
	utter := speak(t, "I want to deposit a check")
	// The reply plays for five seconds, long enough to talk over it.
	ft := &fakeTurner{audio: media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 5*16000)})}
	done := make(chan struct{}, 1)
	mux := http.NewServeMux()
	h := Handler(ft, Options{EndSilence: 500 * time.Millisecond})
	mux.Handle("GET /v1/conversations/{id}/live", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/conversations/c1/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(8 << 20)
	next(t, ctx, c, is("ready"))
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"start","sample_rate":16000}`))

	silence := make([]int16, 16000)
	sendAudio(t, ctx, c, silence[:8000])
	sendAudio(t, ctx, c, utter)
	sendAudio(t, ctx, c, silence)
	if m := next(t, ctx, c, is("vad")); !m.Speaking {
		t.Fatal("first vad message is not speaking=true")
	}
	next(t, ctx, c, func(m serverMsg) bool { return m.Type == "vad" && !m.Speaking })
	reply := next(t, ctx, c, is("reply"))
	if !strings.Contains(string(reply.Reply), "Sure, I can help") {
		t.Fatalf("reply %s", reply.Reply)
	}
	audio := next(t, ctx, c, is("binary"))
	if !bytes.Equal(audio.binary, ft.audio) {
		t.Fatal("binary message is not the reply's audio")
	}
	ft.mu.Lock()
	item := ft.turns[0][0]
	ft.mu.Unlock()
	if item.Kind != media.Audio || item.Modality != media.ModVoice {
		t.Fatalf("item %+v", item)
	}
	pcm, err := media.DecodeAudio(ctx, item.Data, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if d, want := pcm.Duration(), time.Duration(len(utter))*time.Second/16000; d < want-100*time.Millisecond || d > want+700*time.Millisecond {
		t.Fatalf("utterance lasts %s, speech %s", d, want)
	}

	// Barge-in: the customer talks while the reply plays.
	sendAudio(t, ctx, c, utter)
	next(t, ctx, c, is("stop_playback"))
	sendAudio(t, ctx, c, silence)
	next(t, ctx, c, is("reply"))
	next(t, ctx, c, is("binary"))
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"playback_done"}`))

	// A typed message and a camera frame.
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"text","text":"my check is for $40"}`))
	next(t, ctx, c, is("reply"))
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"frame","jpeg":"`+jpegFrame(t)+`"}`))
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"frame","jpeg":"bm90IGEganBlZw=="}`))
	next(t, ctx, c, is("error"))
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"stop"}`))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler did not return after stop")
	}
	ft.mu.Lock()
	if len(ft.turns) != 3 || ft.turns[2][0].Kind != media.Text || ft.turns[2][0].Text != "my check is for $40" {
		t.Errorf("turns %+v", ft.turns)
	}
	if len(ft.observed) != 1 || ft.observed[0].Kind != media.Image || ft.observed[0].Modality != media.ModVideo {
		t.Errorf("observed %+v", ft.observed)
	}
	ft.mu.Unlock()
	c.CloseNow()
	srv.Close()
	time.Sleep(100 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

func TestLiveRejectsOversizedMessages(t *testing.T) {
	ft := &fakeTurner{}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/conversations/{id}/live", Handler(ft, Options{MaxMessageBytes: 1024}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/conversations/c1/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	next(t, ctx, c, is("ready"))
	c.Write(ctx, websocket.MessageBinary, make([]byte, 4096))
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(rctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("got %v, want close 1009", err)
	}
}

// completeTurner is a fakeTurner whose Endpointer judges every utterance complete.
type completeTurner struct {
	fakeTurner
	asked int
}

func (c *completeTurner) Complete(ctx context.Context, id string, pcm media.PCM) bool {
	c.mu.Lock()
	c.asked++
	c.mu.Unlock()
	return len(pcm.Samples) > 0 && pcm.Rate == media.SpeechRate
}

func TestLiveEndsCompleteAnswerEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech through a WebSocket")
	}
	utter := speak(t, "yes")
	ct := &completeTurner{fakeTurner: fakeTurner{audio: media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 1600)})}}
	// The full trailing silence is longer than the stream: only the early end can answer.
	c := dialLive(t, Handler(ct, Options{EndSilence: 10 * time.Second}))
	ctx := context.Background()
	sendAudio(t, ctx, c, make([]int16, 8000))
	sendAudio(t, ctx, c, utter)
	// A second of silence at the pace of a microphone, so the verdict comes back within it.
	for range 50 {
		sendAudio(t, ctx, c, make([]int16, 320))
		time.Sleep(20 * time.Millisecond)
	}
	next(t, ctx, c, is("reply"))
	next(t, ctx, c, is("binary"))
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.asked == 0 || len(ct.turns) != 1 {
		t.Fatalf("asked %d times, %d turns", ct.asked, len(ct.turns))
	}
	pcm, err := media.DecodeAudio(ctx, ct.turns[0][0].Data, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if d, want := pcm.Duration(), time.Duration(len(utter))*time.Second/16000; d < want-100*time.Millisecond || d > want+500*time.Millisecond {
		t.Errorf("utterance lasts %s, speech %s", d, want)
	}
}
