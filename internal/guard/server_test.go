package guard_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/guard"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/perception"
)

// realServer starts the real server (no perception stages) and returns it unguarded and guarded.
func realServer(t *testing.T, cfg config.Config) (plain, guarded *httptest.Server) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s, err := server.New(t.Context(), cfg, server.Options{Logger: log, Stages: []perception.Stage{}})
	if err != nil {
		t.Fatal(err)
	}
	plain = httptest.NewServer(s.Handler())
	guarded = httptest.NewServer(guard.Wrap(s.Handler(), cfg, log))
	t.Cleanup(func() {
		plain.Close()
		guarded.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return plain, guarded
}

func smallPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestServerErrorsCarryTheRequestID(t *testing.T) {
	plain, guarded := realServer(t, config.Default())
	for name, base := range map[string]string{"guarded": guarded.URL, "plain": plain.URL} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/v1/conversations/c_missing", nil)
			req.Header.Set("X-Request-Id", "trace-7")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b guard.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
				t.Fatal(err)
			}
			hdr := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != 404 || b.Error.Code != "not_found" || b.Error.RequestID == "" || b.Error.RequestID != hdr {
				t.Errorf("%d %+v, header %q", resp.StatusCode, b, hdr)
			}
			if name == "guarded" && hdr != "trace-7" {
				t.Errorf("the guard replaced a well-formed id: %q", hdr)
			}
		})
	}
}

func TestServerMessagePartsBound(t *testing.T) {
	cfg := config.Default()
	cfg.Guard.MessageParts = 2
	_, srv := realServer(t, cfg)
	resp, err := http.Post(srv.URL+"/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))
	if err != nil {
		t.Fatal(err)
	}
	var conv struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&conv)
	resp.Body.Close()
	post := func(n int) (int, guard.ErrorBody) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for i := range n {
			fw, _ := mw.CreateFormFile("image", fmt.Sprintf("p%d.png", i))
			fw.Write(smallPNG(t))
		}
		mw.Close()
		resp, err := http.Post(srv.URL+"/v1/conversations/"+conv.ID+"/messages", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b guard.ErrorBody
		json.NewDecoder(resp.Body).Decode(&b)
		return resp.StatusCode, b
	}
	if code, b := post(3); code != 413 || b.Error.Code != "too_many_parts" {
		t.Errorf("three parts over a bound of two: %d %+v", code, b)
	}
	if code, _ := post(2); code != 200 {
		t.Errorf("two parts: %d", code)
	}
}

func TestStreamsPassThrough(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/events" {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: one\n\n")
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello")
		rw.Flush()
	})
	srv := httptest.NewServer(guard.Wrap(h, config.Default(), nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "data: one\n\n" {
		t.Errorf("events body %q", b)
	}
	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /v1/conversations/c_1/live HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	r2, err := http.ReadResponse(br, nil)
	if err != nil || r2.StatusCode != 101 {
		t.Fatalf("upgrade through the guard: %v %v", r2, err)
	}
	rest := make([]byte, 5)
	if _, err := io.ReadFull(br, rest); err != nil || string(rest) != "hello" {
		t.Errorf("after the upgrade: %q %v", rest, err)
	}
}
