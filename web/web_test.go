package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerServesPages(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tests := []struct {
		name, path, ctype, contains string
	}{
		{"chat at root", "/", "text/html", `id="composer"`},
		{"agent console", "/agent.html", "text/html", `id="queue"`},
		{"dashboard", "/dashboard.html", "text/html", `id="stats"`},
		{"dashboard charts", "/dashboard.js", "text/javascript", "/v1/stats/charts"},
		{"explorer", "/explorer.html", "text/html", `id="results"`},
		{"explorer script", "/explorer.js", "text/javascript", "/v1/explore"},
		{"emotion timeline", "/timeline.js", "text/javascript", "/timeline"},
		{"chart styles", "/insight.css", "text/css", ".chart-svg"},
		{"chat script", "/app.js", "text/javascript", "/v1/conversations"},
		{"audio worklet", "/pcm-worklet.js", "text/javascript", "registerProcessor"},
		{"stylesheet", "/style.css", "text/css", ".thread"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tc.ctype)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
		})
	}
}

func TestHandlerMissingAsset(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/nope.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
}

// TestReferencedAssetsExist catches a page or module that names a file we do not ship.
func TestReferencedAssetsExist(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="([^":#?]+)"|from '\./([^']+)'|new URL\('\./([^']+)'`)
	err := fs.WalkDir(FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), path)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			name := strings.TrimPrefix(m[1]+m[2]+m[3], "./")
			if name == "" || strings.HasPrefix(name, "/") {
				continue
			}
			if _, err := fs.Stat(FS(), name); err != nil {
				t.Errorf("%s references missing %s", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
