package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/media"
)

// edgeTurner is a fakeTurner that also takes on-device reports.
type edgeTurner struct {
	fakeTurner
	reports []json.RawMessage
}

func (f *edgeTurner) EdgeReport(_ context.Context, id string, report json.RawMessage) (any, error) {
	f.mu.Lock()
	f.reports = append(f.reports, report)
	f.mu.Unlock()
	return map[string]any{"raw_media": map[string]any{"video": false}}, nil
}

// TestEdgeVADSendsOnlySpeech runs the device's side of a live call with the edge speech detector:
// of a stream with two utterances and long silences, only the two segments go up, each becomes one
// message, and the bytes sent are a fraction of the raw audio.
func TestEdgeVADSendsOnlySpeech(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech through a WebSocket")
	}
	ft := &edgeTurner{}
	c := dialLive(t, Handler(ft, Options{}))
	ctx := context.Background()
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"start","sample_rate":16000,"vad":"edge"}`))
	silence := make([]int16, 3*16000)
	var stream []int16
	stream = append(stream, silence...)
	stream = append(stream, speak(t, "I want to deposit a check")...)
	stream = append(stream, silence...)
	stream = append(stream, speak(t, "yes that is right")...)
	stream = append(stream, silence...)
	sp := edge.NewSpeech(16000)
	var sent int
	for i := 0; i < len(stream); i += 640 {
		for _, seg := range sp.Write(stream[i:min(i+640, len(stream))]) {
			b := pcmBytes(seg.Samples)
			sent += len(b)
			if err := c.Write(ctx, websocket.MessageBinary, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 {
		next(t, ctx, c, is("reply"))
	}
	report := `{"type":"edge","report":{"bytes":[{"kind":"audio","sent":` + itoa(sent) + `,"raw":` + itoa(2*len(stream)) + `}]}}`
	c.Write(ctx, websocket.MessageText, []byte(report))
	if m := next(t, ctx, c, is("edge")); m.Type != "edge" {
		t.Fatal(m)
	}
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.turns) != 2 || len(ft.reports) != 1 || !strings.Contains(string(ft.reports[0]), `"kind":"audio"`) {
		t.Fatalf("%d turns, reports %s", len(ft.turns), ft.reports)
	}
	for _, items := range ft.turns {
		pcm, err := media.DecodeAudio(ctx, items[0].Data, media.DefaultLimits())
		if err != nil || pcm.Duration() < 500*time.Millisecond || pcm.Duration() > 3*time.Second {
			t.Fatalf("segment %v, %v", pcm.Duration(), err)
		}
	}
	if raw := 2 * len(stream); sent == 0 || sent > raw/2 {
		t.Fatalf("sent %d of %d bytes", sent, raw)
	} else {
		t.Logf("sent %d of %d bytes of audio (%.0f%%)", sent, raw, 100*float64(sent)/float64(raw))
	}
}

// TestEdgeMessagesRefused: a bad vad setting and an edge report to a Turner that takes none are
// refused with a clear error, and the call goes on.
func TestEdgeMessagesRefused(t *testing.T) {
	c := dialLive(t, Handler(&fakeTurner{}, Options{VAD: "energy"}))
	ctx := context.Background()
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"start","vad":"cloud"}`))
	if m := next(t, ctx, c, is("error")); !strings.Contains(m.Message, `vad "cloud"`) {
		t.Fatal(m.Message)
	}
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"edge","report":{}}`))
	if m := next(t, ctx, c, is("error")); !strings.Contains(m.Message, "no on-device reports") {
		t.Fatal(m.Message)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
