package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
)

// TestEdgeEventCarriesThumbnail follows a conversation's events as the agent console does: a
// device's report with a camera thumbnail arrives as an edge event whose thumbnail is the URL of
// the stored JPEG.
func TestEdgeEventCarriesThumbnail(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("bank")
	resp, err := http.Get(f.http.URL + "/v1/conversations/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ready, edge := make(chan struct{}), make(chan string, 1)
	go func() {
		sc, typ := bufio.NewScanner(resp.Body), ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
				if typ == "ready" {
					close(ready)
				}
			} else if v, ok := strings.CutPrefix(line, "data: "); ok && typ == "edge" {
				edge <- v
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream did not start")
	}
	code, out := f.json("POST", "/v1/conversations/"+id+"/edge", map[string]any{"thumbnail": thumbnailJPEG(t, 96, 72)})
	if code != 200 {
		t.Fatalf("edge report: %d %v", code, out)
	}
	select {
	case data := <-edge:
		var ev struct{ Thumbnail string }
		if err := json.Unmarshal([]byte(data), &ev); err != nil || !strings.HasPrefix(ev.Thumbnail, "/v1/blobs/") || ev.Thumbnail != out["thumbnail"] {
			t.Fatalf("edge event %s, report answered thumbnail %v", data, out["thumbnail"])
		}
		req, _ := http.NewRequest("GET", f.http.URL+ev.Thumbnail, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("the thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no edge event")
	}
}
