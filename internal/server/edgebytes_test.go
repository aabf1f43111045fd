package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
)

func TestEdgeObservationsAndBytes(t *testing.T) {
	f := openaiFixture(t, nil)
	id := f.conversation("bank")
	// A second of live affect: two score reports and a thumbnail instead of 720p video.
	report := map[string]any{
		"observations": []any{
			map[string]any{"kind": "emotion", "confidence": 0.9, "offset_ms": 500, "value": map[string]float64{"angry": 0.7, "neutral": 0.2, "sad": 0.1}},
			map[string]any{"kind": "emotion", "confidence": 0.9, "offset_ms": 1000, "value": map[string]float64{"angry": 0.8, "neutral": 0.1, "sad": 0.1}},
		},
		"bytes": []any{map[string]any{"kind": "video", "sent": 240, "raw": 187500}},
	}
	code, out := f.json("POST", "/v1/conversations/"+id+"/edge", report)
	if code != 200 || out["accepted"].(float64) != 2 {
		t.Fatalf("%d %v", code, out)
	}
	code, out = f.json("POST", "/v1/conversations/"+id+"/edge", map[string]any{"bytes": []any{map[string]any{"kind": "photo", "sent": 80000, "raw": 3000000}}})
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	_, conv := f.json("GET", "/v1/conversations/"+id, nil)
	affect := conv["state"].(map[string]any)["affect"].(map[string]any)
	if affect["frustration"].(float64) <= 0 || !strings.Contains(toJSON(affect["why"]), "live:"+id) {
		t.Fatalf("edge scores did not reach the affect: %s", toJSON(affect))
	}
	_, b := f.json("GET", "/v1/conversations/"+id+"/bytes", nil)
	if b["sent"].(float64) != 80240 || b["raw"].(float64) != 3187500 {
		t.Fatalf("bytes %v", b)
	}
	_, st := f.json("GET", "/v1/stats", nil)
	eb := st["edge_bytes"].(map[string]any)
	if eb["sent"].(float64) != 80240 || eb["saved_ratio"].(float64) < 0.97 {
		t.Fatalf("stats %v", eb)
	}
	code, raw := f.do(mustRequest(t, "GET", f.http.URL+"/metrics"))
	if code != 200 || !strings.Contains(string(raw), `parley_edge_bytes_raw_total{kind="photo"} 3e+06`) {
		t.Fatalf("metrics lack the edge bytes")
	}
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"unknown kind", map[string]any{"observations": []any{map[string]any{"kind": "check", "value": map[string]float64{"happy": 1}}}}, 400},
		{"unknown expression", map[string]any{"observations": []any{map[string]any{"kind": "emotion", "value": map[string]float64{"smug": 1}}}}, 400},
		{"score out of range", map[string]any{"observations": []any{map[string]any{"kind": "emotion", "value": map[string]float64{"happy": 2}}}}, 400},
		{"negative bytes", map[string]any{"bytes": []any{map[string]any{"kind": "video", "sent": -1, "raw": 0}}}, 400},
		{"malformed", `{"observations":`, 400},
	} {
		if code, out := f.json("POST", "/v1/conversations/"+id+"/edge", tc.body); code != tc.code {
			t.Errorf("%s: %d %v", tc.name, code, out)
		}
	}
}

func TestEdgeAssetsCompressedAndCachedByHash(t *testing.T) {
	dir := t.TempDir()
	f := openaiFixture(t, func(c *config.Config) { c.EdgeDir = dir })
	if code, _ := f.do(mustRequest(t, "GET", f.http.URL+"/edge/manifest.json")); code != 404 {
		t.Fatalf("manifest of nothing built: %d", code)
	}
	os.WriteFile(filepath.Join(dir, "parley.wasm"), append([]byte("\x00asm\x01\x00\x00\x00"), make([]byte, 100000)...), 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("globalThis.Go = class {};"), 0o644)
	_, m := f.json("GET", "/edge/manifest.json", nil)
	wasm := m["parley"].(map[string]any)
	url := wasm["url"].(string)
	if wasm["bytes"].(float64) != 100008 || wasm["gzip_bytes"].(float64) > 1000 || !strings.Contains(url, "?v=") {
		t.Fatalf("manifest %v", m)
	}
	req := mustRequest(t, "GET", f.http.URL+url)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("headers %v", resp.Header)
	}
	req = mustRequest(t, "GET", f.http.URL+"/edge/parley.wasm")
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 304 {
		t.Fatalf("revalidation: %v %v", resp, err)
	}
	if code, _ := f.do(mustRequest(t, "GET", f.http.URL+"/edge/passwd")); code != 404 {
		t.Fatalf("unknown file: %d", code)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
