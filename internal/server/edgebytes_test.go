package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
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

func thumbnailJPEG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// TestEdgeReportsProsodyThumbnailAndRawMedia: on-device prosody pulls the affect only for audio
// that stayed on the device, a thumbnail is stored, the server asks for the frames once the
// device has found no clear face three times and stops asking when it does again, and the
// byte counters survive a restart.
func TestEdgeReportsProsodyThumbnailAndRawMedia(t *testing.T) {
	dir := t.TempDir()
	f := openaiFixture(t, func(c *config.Config) { c.DataDir = dir })
	hs := f.http
	id := f.conversation("bank")
	post := func(body any) (int, map[string]any) { return f.json("POST", "/v1/conversations/"+id+"/edge", body) }
	agitated := map[string]float64{"pitch_hz": 260, "pitch_var": 6, "energy_db": -12, "rate_sps": 6.5, "pause_ratio": 0.05, "frustration": 0.8}
	code, out := post(map[string]any{"observations": []any{map[string]any{"kind": "prosody", "confidence": 0.6, "value": agitated, "uploaded": true}}})
	if code != 200 || out["affect"].(map[string]any)["frustration"].(float64) != 0 {
		t.Fatalf("an uploaded segment's prosody pulled the affect: %d %v", code, out)
	}
	code, out = post(map[string]any{"observations": []any{map[string]any{"kind": "prosody", "confidence": 0.6, "value": agitated}}})
	if code != 200 || out["affect"].(map[string]any)["frustration"].(float64) <= 0 {
		t.Fatalf("on-device prosody did not reach the affect: %d %v", code, out)
	}
	cue := map[string]any{"kind": "affect_cue", "confidence": 0.9, "text": "brows lowered for 3 s", "value": map[string]float64{"confusion": 0.8, "frustration": 0.2, "brow_lower": 0.9}}
	code, out = post(map[string]any{"observations": []any{cue}})
	if code != 200 || out["affect"].(map[string]any)["confusion"].(float64) <= 0 || !strings.Contains(toJSON(out["affect"]), "brows lowered") {
		t.Fatalf("on-device facial cues did not reach the affect: %d %v", code, out)
	}
	video := map[string]any{"kind": "video", "sent": 200, "raw": 30000}
	code, out = post(map[string]any{"thumbnail": thumbnailJPEG(t, 96, 72), "bytes": []any{video}})
	if code != 200 || !strings.HasPrefix(fmt.Sprint(out["thumbnail"]), "/v1/blobs/") {
		t.Fatalf("thumbnail: %d %v", code, out)
	}
	if code, body := f.do(mustRequest(t, "GET", hs.URL+out["thumbnail"].(string))); code != 200 || len(body) < 100 {
		t.Fatalf("stored thumbnail: %d", code)
	}
	need := func(out map[string]any) (bool, string) {
		rm := out["raw_media"].(map[string]any)
		return rm["video"].(bool), rm["reason"].(string)
	}
	for i := 2; i <= 3; i++ {
		_, out = post(map[string]any{"bytes": []any{video}})
		if v, why := need(out); v != (i == 3) {
			t.Fatalf("report %d without a face: video %v (%s)", i, v, why)
		} else if v && !strings.Contains(why, "no clear face") {
			t.Fatalf("reason %q", why)
		}
	}
	face := map[string]any{"kind": "emotion", "confidence": 0.9, "value": map[string]float64{"happy": 0.9, "neutral": 0.1}}
	if _, out = post(map[string]any{"observations": []any{face}, "bytes": []any{video}}); out["raw_media"].(map[string]any)["video"].(bool) {
		t.Fatalf("a clear face still asks for frames: %v", out["raw_media"])
	}
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"large thumbnail", map[string]any{"thumbnail": thumbnailJPEG(t, 320, 240)}, 400},
		{"thumbnail not JPEG", map[string]any{"thumbnail": base64.StdEncoding.EncodeToString([]byte("GIF89a"))}, 400},
		{"unknown prosody", map[string]any{"observations": []any{map[string]any{"kind": "prosody", "value": map[string]float64{"shouting": 1}}}}, 400},
		{"unknown cue", map[string]any{"observations": []any{map[string]any{"kind": "affect_cue", "value": map[string]float64{"smirk": 1}}}}, 400},
		{"prosody out of range", map[string]any{"observations": []any{map[string]any{"kind": "prosody", "value": map[string]float64{"pause_ratio": 3}}}}, 400},
	} {
		if code, out := post(tc.body); code != tc.code {
			t.Errorf("%s: %d %v", tc.name, code, out)
		}
	}
	_, before := f.json("GET", "/v1/conversations/"+id+"/bytes", nil)
	hs.Close()
	f.srv.Close(context.Background())
	f2 := openaiFixture(t, func(c *config.Config) { c.DataDir = dir })
	if _, after := f2.json("GET", "/v1/conversations/"+id+"/bytes", nil); after["sent"] != before["sent"] || after["raw"].(float64) != 4*30000 {
		t.Fatalf("bytes before the restart %v, after %v", before, after)
	}
}
