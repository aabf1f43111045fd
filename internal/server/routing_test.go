package server_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// notCheckReader stands in for the check reader: it counts the photos it is given and answers that
// they are not checks, with retake advice, as the real reader does for a router photo.
type notCheckReader struct{ calls atomic.Int32 }

func (f *notCheckReader) Name() string              { return "image.check" }
func (f *notCheckReader) Accepts(k media.Kind) bool { return k == media.Image }
func (f *notCheckReader) Process(context.Context, media.Item, perception.Expectation) ([]perception.Observation, error) {
	f.calls.Add(1)
	return []perception.Observation{
		{Kind: perception.KindQuality, Text: "lay the check flat on a darker surface with all four corners in view", Confidence: 1},
		{Kind: perception.KindNotCheck, Text: "this does not look like a check", Confidence: 0.9},
	}, nil
}

func photo(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPhotosGoToTheReaderTheConversationNeeds(t *testing.T) {
	lib := mustPacks(t)
	text, _, err := perception.Build(perception.Env{Packs: lib}, []string{"text.nlu"})
	if err != nil {
		t.Fatal(err)
	}
	check := &notCheckReader{}
	f := newFixture(t, t.TempDir(), server.Options{Stages: append(text, check)})
	send := func(id string) string {
		body, ct := multipartBody(t, nil, map[string][]byte{"image": photo(t)})
		req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
		req.Header.Set("Content-Type", ct)
		code, raw := f.do(req)
		if code != 200 {
			t.Fatalf("photo: %d %s", code, raw)
		}
		return strings.ToLower(string(raw))
	}
	for _, c := range []struct {
		pack, first string
		reads       bool
		want        string
	}{
		{"telecom", "my internet is down", false, "i can see a photo, but i can't read it for this"},
		{"appliances", "my washing machine is broken", false, "i can see a photo, but i can't read it for this"},
		{"bank", "I want to dispute a charge", true, "i can see a photo, but i can't read it for this"},
		{"bank", "I would like to deposit a check", true, "the check"},
	} {
		before := check.calls.Load()
		id := f.conversation(c.pack)
		f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": c.first})
		reply := send(id)
		if read := check.calls.Load() > before; read != c.reads {
			t.Errorf("%s %q: check reader ran %v, want %v", c.pack, c.first, read, c.reads)
		}
		if !strings.Contains(reply, c.want) {
			t.Errorf("%s %q: reply lacks %q: %s", c.pack, c.first, c.want, reply)
		}
		if c.want != "the check" {
			for _, w := range []string{"check flat", "darker surface", "four corners"} {
				if strings.Contains(reply, w) {
					t.Errorf("%s %q: check advice %q outside a check flow: %s", c.pack, c.first, w, reply)
				}
			}
		}
	}
}
