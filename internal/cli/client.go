package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
)

// client talks to a Parley server over HTTP: a remote one, or one started in this process.
type client struct {
	base  string
	http  *http.Client
	close func()
}

// turnReply is the part of a message response the CLI shows.
type turnReply struct {
	MessageID string `json:"message_id"`
	Reply     struct {
		Parts []struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			URL   string `json:"url"`
			Title string `json:"title"`
		} `json:"parts"`
		Style map[string]any `json:"style"`
	} `json:"reply"`
	State map[string]any `json:"state"`
}

// connect returns a client for serverURL, or starts a server in-process on a loopback port with
// data in dataDir (a temporary directory when empty).
func connect(ctx context.Context, serverURL, dataDir, cfgPath string) (*client, error) {
	c := &client{http: &http.Client{Timeout: 5 * time.Minute}, close: func() {}}
	if serverURL != "" {
		c.base = serverURL
		return c, nil
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	var tmp string
	if dataDir == "" {
		if tmp, err = os.MkdirTemp("", "parley-"); err != nil {
			return nil, err
		}
		dataDir = tmp
	}
	cfg.DataDir = dataDir
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(ctx, cfg, wire.Options(log))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close(ctx)
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	c.base = "http://" + ln.Addr().String()
	c.close = func() {
		hs.Close()
		srv.Close(context.Background())
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	return c, nil
}

func (c *client) do(ctx context.Context, method, path, ctype string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%s, HTTP %d)", e.Error.Message, e.Error.Code, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *client) create(ctx context.Context, pack string) (string, error) {
	var out struct{ ID string }
	b, _ := json.Marshal(map[string]string{"pack": pack})
	err := c.do(ctx, "POST", "/v1/conversations", "application/json", bytes.NewReader(b), &out)
	return out.ID, err
}

// send posts a message with text and files keyed by part name (image, audio, video).
func (c *client) send(ctx context.Context, id, text string, files map[string][]string) (*turnReply, error) {
	var body bytes.Buffer
	ctype := "application/json"
	if len(files) == 0 {
		json.NewEncoder(&body).Encode(map[string]string{"text": text})
	} else {
		w := multipart.NewWriter(&body)
		if text != "" {
			w.WriteField("text", text)
		}
		for kind, paths := range files {
			for _, p := range paths {
				data, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				fw, err := w.CreateFormFile(kind, filepath.Base(p))
				if err != nil {
					return nil, err
				}
				fw.Write(data)
			}
		}
		w.Close()
		ctype = w.FormDataContentType()
	}
	var out turnReply
	if err := c.do(ctx, "POST", "/v1/conversations/"+id+"/messages", ctype, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// printReply writes a reply for a person reading a terminal.
func printReply(w io.Writer, r *turnReply, base string) {
	for _, p := range r.Reply.Parts {
		switch p.Type {
		case "text":
			fmt.Fprintf(w, "parley> %s\n", p.Text)
		default:
			label := p.Title
			if label == "" {
				label = p.Text
			}
			url := p.URL
			if url != "" && url[0] == '/' {
				url = base + url
			}
			fmt.Fprintf(w, "        [%s] %s %s\n", p.Type, label, url)
		}
	}
}

var errNoText = errors.New("nothing to send: give text or a file")
