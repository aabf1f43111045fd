package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/parleyhq/parley/dialogue"
)

func testFanout() *fanout {
	return &fanout{node: "n_here", hub: newHub(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestFanoutReceive: events from another node reach this node's subscribers of the conversation,
// several publications in one notification in order; this node's own and unfollowed ones do not.
func TestFanoutReceive(t *testing.T) {
	f := testFanout()
	ch, cancel := f.hub.subscribe("c_1")
	defer cancel()
	rec := func(node, conv string, evs ...dialogue.Event) []byte {
		data, _ := json.Marshal(evs)
		return []byte(node + "\n" + conv + "\n" + string(data))
	}
	var batch []byte
	for _, r := range [][]byte{
		rec("n_other", "c_1", dialogue.Event{Type: "message", Data: map[string]any{"text": "line\nbreak \x1e"}}),
		rec("n_here", "c_1", dialogue.Event{Type: "own"}),
		rec("n_other", "c_2", dialogue.Event{Type: "unfollowed"}),
		rec("n_other", "c_1", dialogue.Event{Type: "handoff"}, dialogue.Event{Type: "state", Data: map[string]any{"turns": 2}}),
	} {
		if len(batch) > 0 {
			batch = append(batch, recordSep)
		}
		batch = append(batch, r...)
	}
	f.receive(batch)
	var got []string
	for len(ch) > 0 {
		ev := <-ch
		got = append(got, ev.Type)
		if ev.Type == "message" {
			b, _ := json.Marshal(ev.Data)
			if want := `{"text":"line\nbreak \u001e"}`; string(b) != want {
				t.Errorf("message data %s, want %s", b, want)
			}
		}
	}
	if want := []string{"message", "handoff", "state"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got events %v, want %v", got, want)
	}
}

// FuzzFanoutReceive: no notification, however malformed, makes the receiver panic.
func FuzzFanoutReceive(f *testing.F) {
	f.Add([]byte("n_other\nc_1\n[{\"type\":\"state\",\"data\":{}}]"))
	f.Add([]byte("n_other\nc_1\n[{\"type\":\"a\"}]\x1en_x\nc_1\nnot json"))
	f.Add([]byte("\n\n\x1e\x1e"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fo := testFanout()
		_, cancel := fo.hub.subscribe("c_1")
		defer cancel()
		fo.receive(payload)
	})
}
