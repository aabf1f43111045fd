package asr

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
)

// transcriptionServer speaks the OpenAI transcription API on loopback: it checks the multipart
// form the way the API reads it and records what it was sent.
type transcriptionServer struct {
	auth, model, format, language, filename string
	wav                                     bool
}

func (s *transcriptionServer) handler(reply string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"message":"no such route","type":"invalid_request_error"}}`)
			return
		}
		s.auth = r.Header.Get("Authorization")
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"not multipart","type":"invalid_request_error"}}`)
			return
		}
		s.model, s.format, s.language = r.FormValue("model"), r.FormValue("response_format"), r.FormValue("language")
		if f, h, err := r.FormFile("file"); err == nil {
			data, _ := io.ReadAll(f)
			s.wav, s.filename = media.IsWAV(data), h.Filename
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}
}

func TestCloudSpeaksTheTranscriptionAPI(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/elsewhere")
	wav := media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 1600)})
	for _, tc := range []struct {
		name, path, key, model, wantAuth, wantModel string
	}{
		{"base URL with key", "", "k", "whisper-1", "Bearer k", "whisper-1"},
		{"base URL ending in /v1", "/v1/", "k", "gpt-4o-transcribe", "Bearer k", "gpt-4o-transcribe"},
		{"full transcription URL", "/v1/audio/transcriptions", "k", "", "Bearer k", "whisper-1"},
		{"no key sends none", "", "", "whisper-1", "", "whisper-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts transcriptionServer
			srv := httptest.NewServer(ts.handler(`{"text":"why are there two fees","usage":{"type":"duration","seconds":1}}`))
			defer srv.Close()
			c := &Cloud{URL: srv.URL + tc.path, Model: tc.model, APIKey: tc.key}
			text, err := c.Transcribe(context.Background(), wav)
			if err != nil || text != "why are there two fees" {
				t.Fatalf("got %q, %v", text, err)
			}
			if ts.auth != tc.wantAuth || ts.model != tc.wantModel || ts.format != "json" || ts.language != "en" || !ts.wav || ts.filename != "speech.wav" {
				t.Fatalf("server saw %+v", ts)
			}
		})
	}
}

func TestCloudErrors(t *testing.T) {
	wav := media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 160)})
	t.Run("refused key", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
		}))
		defer srv.Close()
		_, err := (&Cloud{URL: srv.URL, APIKey: "wrong"}).Transcribe(context.Background(), wav)
		if !errors.Is(err, ErrCloud) || !strings.Contains(err.Error(), "status 401") || !strings.Contains(err.Error(), "Incorrect API key") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("JSON labelled text/plain", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `{"text":"two fees"}`)
		}))
		defer srv.Close()
		if text, err := (&Cloud{URL: srv.URL}).Transcribe(context.Background(), wav); err != nil || text != "two fees" {
			t.Fatalf("got %q, %v", text, err)
		}
	})
	t.Run("plain-text error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream down", http.StatusBadGateway)
		}))
		defer srv.Close()
		_, err := (&Cloud{URL: srv.URL}).Transcribe(context.Background(), wav)
		if !errors.Is(err, ErrCloud) || !strings.Contains(err.Error(), "status 502") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"text":`)
		}))
		defer srv.Close()
		if _, err := (&Cloud{URL: srv.URL}).Transcribe(context.Background(), wav); !errors.Is(err, ErrCloud) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := (&Cloud{URL: srv.URL}).Transcribe(ctx, wav)
		if !errors.Is(err, ErrCloud) || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		if _, err := (&Cloud{URL: url}).Transcribe(context.Background(), wav); !errors.Is(err, ErrCloud) {
			t.Fatalf("got %v", err)
		}
	})
}
