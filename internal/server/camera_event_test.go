package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
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

// TestThumbnailBelongsToConversation serves a device's camera thumbnail to the conversation's
// tenant only, and erases it with the conversation.
func TestThumbnailBelongsToConversation(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	key, other := newKey(t, cs, "acme", store.KeySecret), newKey(t, cs, "globex", store.KeySecret)
	f := newFixture(t, dir, server.Options{})
	code, body := f.call("POST", "/v1/conversations", key, map[string]string{"pack": "bank"})
	var conv struct{ ID string }
	if code != 201 || json.Unmarshal(body, &conv) != nil {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = f.call("POST", "/v1/conversations/"+conv.ID+"/edge", key, map[string]any{"thumbnail": thumbnailJPEG(t, 96, 72)})
	var out struct{ Thumbnail string }
	if code != 200 || json.Unmarshal(body, &out) != nil || out.Thumbnail == "" {
		t.Fatalf("edge report: %d %s", code, body)
	}
	if code, body := f.call("GET", out.Thumbnail, key, nil); code != 200 {
		t.Fatalf("the tenant's own thumbnail: %d %s", code, body)
	}
	if code, _ := f.call("GET", out.Thumbnail, other, nil); code != 404 {
		t.Fatalf("another tenant's thumbnail: %d, want 404", code)
	}
	hash := strings.TrimPrefix(out.Thumbnail, "/v1/blobs/")
	file := filepath.Join(dir, "blobs", hash[:2], hash[2:4], hash)
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the thumbnail's file: %v", err)
	}
	if code, body := f.call("DELETE", "/v1/conversations/"+conv.ID, key, nil); code != 200 && code != 204 {
		t.Fatalf("erase: %d %s", code, body)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("the thumbnail's file after erase: %v, want it gone", err)
	}
}
