package reason_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/reason"
)

func TestTranscribeThroughTheSDK(t *testing.T) {
	var got struct{ model, language, file string }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":{"message":"bad path"}}`, 400)
			return
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, `{"error":{"message":"not multipart"}}`, 400)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, `{"error":{"message":"no file"}}`, 400)
			return
		}
		b, _ := io.ReadAll(f)
		got.model, got.language, got.file = r.FormValue("model"), r.FormValue("language"), string(b)
		w.Header().Set("Content-Type", "application/json")
		if got.file == "silence" {
			w.Write([]byte(`{"text":"  "}`))
			return
		}
		w.Write([]byte(`{"text":"I want to deposit a check"}`))
	}))
	defer srv.Close()
	o := &reason.OpenAI{BaseURL: srv.URL + "/v1", APIKey: "k"}
	text, err := o.Transcribe(context.Background(), []byte("RIFF...."), "note.wav", "audio/wav", "", "en", "deposit check")
	if err != nil || text != "I want to deposit a check" || got.model != "whisper-1" || got.language != "en" || got.file != "RIFF...." {
		t.Fatalf("%q %v %+v", text, err, got)
	}
	if _, err := o.Transcribe(context.Background(), []byte("silence"), "s.wav", "audio/wav", "", "", ""); err != reason.ErrNoAnswer {
		t.Fatalf("silence: %v", err)
	}
	bad := &reason.OpenAI{BaseURL: srv.URL + "/nope", APIKey: "k"}
	if _, err := bad.Transcribe(context.Background(), []byte("x"), "x.wav", "audio/wav", "", "", ""); err == nil {
		t.Fatal("error not reported")
	}
}
