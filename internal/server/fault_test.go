package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	_ "github.com/parleyhq/parley/internal/std" // every standard stage, for the benchmark and speech
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
)

func TestOrders(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("appliances")
	code, parts := f.json("GET", "/v1/packs/appliances/parts?format=json&order=WL-0505,DC-0901", nil)
	if code != 200 || len(parts["parts"].([]any)) != 2 {
		t.Fatalf("parts: %d %v", code, parts)
	}
	for _, c := range []struct {
		name string
		body map[string]any
		want int
		err  string
	}{
		{"placed", map[string]any{"pack": "appliances", "conversation_id": id, "model": "WM-3000", "name": "Ada", "address": "1 Main St",
			"items": []map[string]any{{"sku": "WL-0505", "qty": 2}}}, 201, ""},
		{"unknown part", map[string]any{"pack": "appliances", "name": "Ada", "address": "x", "items": []map[string]any{{"sku": "ZZ-1", "qty": 1}}}, 400, "unknown_part"},
		{"out of stock", map[string]any{"pack": "appliances", "name": "Ada", "address": "x", "items": []map[string]any{{"sku": "DC-0901", "qty": 1}}}, 409, "out_of_stock"},
		{"too many", map[string]any{"pack": "appliances", "name": "Ada", "address": "x", "items": []map[string]any{{"sku": "WL-0505", "qty": 11}}}, 400, "bad_order"},
		{"no address", map[string]any{"pack": "appliances", "name": "Ada", "address": " ", "items": []map[string]any{{"sku": "WL-0505", "qty": 1}}}, 400, "bad_order"},
		{"unknown pack", map[string]any{"pack": "nope", "name": "Ada", "address": "x", "items": []map[string]any{{"sku": "WL-0505", "qty": 1}}}, 400, "unknown_pack"},
		{"unknown conversation", map[string]any{"pack": "appliances", "conversation_id": "c_nope", "name": "Ada", "address": "x", "items": []map[string]any{{"sku": "WL-0505", "qty": 1}}}, 400, "unknown_conversation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := f.json("POST", "/v1/orders", c.body)
			if code != c.want {
				t.Fatalf("%d %v", code, out)
			}
			if c.err != "" {
				if e, _ := out["error"].(map[string]any); e == nil || e["code"] != c.err {
					t.Fatalf("error %v, want %s", out, c.err)
				}
				return
			}
			if out["total"].(float64) != 68 || out["conversation_id"] != id {
				t.Fatalf("order %v", out)
			}
			code, got := f.json("GET", "/v1/orders/"+out["id"].(string), nil)
			if code != 200 || got["id"] != out["id"] {
				t.Fatalf("get order: %d %v", code, got)
			}
		})
	}
	// The stock shown goes down with what was ordered.
	_, parts = f.json("GET", "/v1/packs/appliances/parts?format=json&order=WL-0505", nil)
	if s := parts["parts"].([]any)[0].(map[string]any)["stock"].(float64); s != 7 {
		t.Fatalf("stock after an order of 2 from 9: %v", s)
	}
	if code, _ := f.json("GET", "/v1/orders/o_nope", nil); code != 404 {
		t.Fatalf("unknown order: %d", code)
	}
	if _, err := os.Stat(filepath.Join(f.cfg.DataDir, "orders.jsonl")); !os.IsNotExist(err) {
		t.Fatalf("orders written to the data directory, not the store: %v", err)
	}
}

// faultServer starts a server with the real video expansion and the fault readers and returns
// its address.
func faultServer(t testing.TB) string {
	for _, tool := range []string{"ffmpeg", "espeak-ng"} {
		if _, err := exec.LookPath(tool); err != nil {
			if testing.Short() {
				t.Skip(tool, " not installed")
			}
			t.Fatal(tool, " not installed")
		}
	}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := perception.Build(perception.Env{Packs: lib}, []string{"text.nlu", "image.display", "image.lights", "audio.sound"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	srv, err := server.New(context.Background(), cfg, server.Options{Stages: stages, Video: media.ExpandVideo, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	return hs.URL
}

func newConversation(t testing.TB, base, pack string) string {
	resp, err := http.Post(base+"/v1/conversations", "application/json", strings.NewReader(`{"pack":"`+pack+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ID == "" {
		t.Fatalf("create: %v", err)
	}
	return out.ID
}

// faultVideo renders one narrated fault video with the generator.
func faultVideo(t testing.TB, dir string, secs float64) (string, faultgen.Truth) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := faultgen.Generate(context.Background(), lib, dir, faultgen.Options{N: 2, Seed: 3, Seconds: secs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := truth[1] // the narration of odd videos never names the code
	return filepath.Join(dir, tr.File), tr
}

func postVideo(t testing.TB, base, id, path, text string) (int, map[string]any) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if text != "" {
		w.WriteField("text", text)
	}
	fw, _ := w.CreateFormFile("video", filepath.Base(path))
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", base+"/v1/conversations/"+id+"/messages", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestFaultVideoReadFromThePixels(t *testing.T) {
	base := faultServer(t)
	path, truth := faultVideo(t, t.TempDir(), 5)
	id := newConversation(t, base, "appliances")
	code, out := postVideo(t, base, id, path, "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	st := out["state"].(map[string]any)
	sl := st["slots"].(map[string]any)["error_code"].(map[string]any)
	ev := sl["evidence"].([]any)[0].(map[string]any)
	if sl["value"] != truth.Code || ev["modality"] != "video" || ev["stage"] != "image.display" || ev["crop"] == nil {
		t.Fatalf("error_code %v, want %s from image.display", sl, truth.Code)
	}
	var types []string
	for _, p := range out["reply"].(map[string]any)["parts"].([]any) {
		p := p.(map[string]any)
		if p["type"] == "document" || p["type"] == "link" {
			types = append(types, p["type"].(string))
		}
	}
	if len(types) < 3 || strings.Join(types[:3], ",") != "document,document,link" {
		t.Fatalf("reply parts %v", types)
	}
	resp, err := http.Get(base + "/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		ByPack map[string]float64 `json:"median_resolution_secs_by_pack"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil || stats.ByPack["appliances"] <= 0 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer mresp.Body.Close()
	metrics, _ := io.ReadAll(mresp.Body)
	for _, want := range []string{`parley_resolution_seconds_count{pack="appliances"} 1`, `parley_diagnosis_output_seconds_count{output="report",pack="appliances"} 1`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestCorruptVideoGetsAClearReply(t *testing.T) {
	base := faultServer(t)
	id := newConversation(t, base, "appliances")
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.mp4")
	os.WriteFile(bad, append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{0x42}, 4000)...), 0o644)
	code, out := postVideo(t, base, id, bad, "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	b, _ := json.Marshal(out["reply"])
	if !strings.Contains(string(b), "couldn't open that video") {
		t.Fatalf("reply %s", b)
	}
}

// BenchmarkFaultVideo30s sends a 30-second 720p narrated fault video and waits for the diagnosis,
// the report, the guide and the order link (the display, lights, sound and text stages; speech
// recognition and faces are left out here and measured by their own benchmarks).
func BenchmarkFaultVideo30s(b *testing.B) {
	base := faultServer(b)
	path, _ := faultVideo(b, b.TempDir(), 30)
	for b.Loop() {
		id := newConversation(b, base, "appliances")
		if code, out := postVideo(b, base, id, path, ""); code != 200 || !out["state"].(map[string]any)["resolved"].(bool) {
			b.Fatalf("%d %v", code, out["reply"])
		}
	}
}

// BenchmarkFaultVideo30sEveryStage is BenchmarkFaultVideo30s with every stage this build can run
// (speech recognition and the rating-plate reader included), as `parley serve` runs them.
func BenchmarkFaultVideo30sEveryStage(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	srv, err := server.New(context.Background(), cfg, server.Options{Video: media.ExpandVideo, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	if len(srv.Skipped) > 0 {
		b.Logf("stages not available here: %v", srv.Skipped)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	path, _ := faultVideo(b, b.TempDir(), 30)
	n := 0
	for b.Loop() {
		n++
		id := newConversation(b, hs.URL, "appliances")
		if code, out := postVideo(b, hs.URL, id, path, ""); code != 200 || !out["state"].(map[string]any)["resolved"].(bool) {
			b.Fatalf("%d %v", code, out["reply"])
		}
	}
	reportStageTimes(b, hs.URL, n)
}

// reportStageTimes reports, from the server's metrics, the milliseconds each perception stage
// spent per video, summed over the items it read (frames run in parallel, so these add up to
// more than the wall time).
func reportStageTimes(b *testing.B, base string, n int) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		rest, ok := strings.CutPrefix(line, `parley_stage_seconds_sum{stage="`)
		if !ok {
			continue
		}
		name, val, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		var secs float64
		if _, err := fmt.Sscan(val, &secs); err == nil && n > 0 {
			b.ReportMetric(secs*1000/float64(n), name+"-ms/op")
		}
	}
}

// TestOrdersSurviveARestart places an order, starts a new server on the same data directory and
// finds the order, the stock it took and its order page still there; a last line cut short by a
// crash is skipped, a corrupt line in the middle is an error.
func TestOrdersSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("place", func(t *testing.T) {
		f := newFixture(t, dir, server.Options{})
		code, out := f.json("POST", "/v1/orders", map[string]any{"pack": "appliances", "model": "WM-3000", "name": "Ada", "address": "1 Main St",
			"items": []map[string]any{{"sku": "WL-0505", "qty": 3}}})
		if code != 201 {
			t.Fatalf("%d %v", code, out)
		}
		id = out["id"].(string)
	})
	// An orders file of an older version, whose last line a crash cut short, is imported.
	path := filepath.Join(dir, "orders.jsonl")
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString(`{"id":"o_torn","pack":"appl`)
	fh.Close()
	t.Run("after restart", func(t *testing.T) {
		f := newFixture(t, dir, server.Options{})
		code, got := f.json("GET", "/v1/orders/"+id, nil)
		if code != 200 || got["id"] != id || got["total"].(float64) != 102 {
			t.Fatalf("old order after a restart: %d %v", code, got)
		}
		_, parts := f.json("GET", "/v1/packs/appliances/parts?format=json&order=WL-0505", nil)
		if s := parts["parts"].([]any)[0].(map[string]any)["stock"].(float64); s != 6 {
			t.Fatalf("stock after a restart, 3 of 9 ordered: %v", s)
		}
		resp, err := http.Get(f.http.URL + "/order.html?pack=appliances&parts=WL-0505&order=" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("order page: %d", resp.StatusCode)
		}
		if code, _ := f.json("GET", "/v1/orders/o_torn", nil); code != 404 {
			t.Fatalf("torn order: %d", code)
		}
		// A new order after the torn line still reads back.
		if code, out := f.json("POST", "/v1/orders", map[string]any{"pack": "appliances", "name": "Bo", "address": "2 Main St",
			"items": []map[string]any{{"sku": "WL-0505", "qty": 1}}}); code != 201 {
			t.Fatalf("order after a torn line: %d %v", code, out)
		}
	})
	t.Run("corrupt line", func(t *testing.T) {
		raw, _ := os.ReadFile(path)
		os.WriteFile(path, append([]byte("not json\n"), raw...), 0o644)
		f := newFixture(t, dir, server.Options{})
		if code, out := f.json("GET", "/v1/orders/"+id, nil); code != 500 {
			t.Fatalf("corrupt orders file: %d %v", code, out)
		}
	})
}

// conflictVideo films a rating plate of model (ImageMagick, Liberation Sans) and then a washer
// panel showing code in red seven-segment digits, narrated with say.
func conflictVideo(t *testing.T, dir, model, code, say string) string {
	for _, tool := range []string{"/usr/bin/convert", "ffmpeg", "espeak-ng"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatal(tool, " not installed")
		}
	}
	plate := filepath.Join(dir, "plate.png")
	if b, err := exec.Command("/usr/bin/convert", "-size", "1280x720", "xc:#909398", "-fill", "#f0efe8", "-draw", "rectangle 240,140 1040,580",
		"-fill", "#111", "-font", "Liberation-Sans-Bold", "-pointsize", "72", "-annotate", "+300+330", "Model "+model,
		"-pointsize", "44", "-annotate", "+300+450", "230V~ 50Hz", plate).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v %s", err, b)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{200, 200, 196, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(330, 190, 950, 460), image.NewUniform(color.RGBA{24, 24, 26, 255}), image.Point{}, draw.Src)
	faultgen.DrawSevenSeg(img, code, 420, 220, 200, color.RGBA{255, 48, 48, 255}, nil)
	var b bytes.Buffer
	png.Encode(&b, img)
	panel := filepath.Join(dir, "panel.png")
	os.WriteFile(panel, b.Bytes(), 0o644)
	speech := filepath.Join(dir, "say.wav")
	if b, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "150", "-w", speech, say).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, b)
	}
	out := filepath.Join(dir, "conflict.mp4")
	if b, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-t", "2", "-i", plate, "-loop", "1", "-t", "4", "-i", panel,
		"-i", speech, "-filter_complex", "[0:v]fps=10,format=yuv420p[a];[1:v]fps=10,format=yuv420p[b];[a][b]concat=n=2:v=1[v];[2:a]apad[s]",
		"-map", "[v]", "-map", "[s]", "-c:v", "libx264", "-c:a", "aac", "-t", "6", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	return out
}

// TestPlateOutweighsNarration sends a video whose rating plate reads a washer's model and whose
// display shows a washer's code while the narration says it is the dishwasher: the plate's reading
// is evidence for the product (stage image.label, with its crop), so the narration alone does not
// decide it and the washer's E21 is diagnosed, where the narration used to make it "a code I
// don't know for a dishwasher".
func TestPlateOutweighsNarration(t *testing.T) {
	if testing.Short() {
		t.Skip("films a video and runs speech recognition and OCR")
	}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	stages, skipped, err := perception.Build(perception.Env{Packs: lib}, []string{"text.nlu", "audio.asr", "image.display", "image.label", "image.lights", "audio.sound"})
	if err != nil || len(skipped) > 0 {
		t.Fatalf("stages: %v %v", err, skipped)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	srv, err := server.New(context.Background(), cfg, server.Options{Stages: stages, Video: media.ExpandVideo, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	path := conflictVideo(t, t.TempDir(), "WM-3000", "E21", "My dishwasher is showing this code. Can you help me?")
	id := newConversation(t, hs.URL, "appliances")
	code, out := postVideo(t, hs.URL, id, path, "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	st := out["state"].(map[string]any)
	sl, _ := st["slots"].(map[string]any)["product"].(map[string]any)
	plate := false
	for _, ev := range sl["evidence"].([]any) {
		ev := ev.(map[string]any)
		if ev["stage"] == "image.label" && ev["modality"] == "video" && ev["crop"] != nil && ev["value"] == "washing machine" {
			plate = true
		}
	}
	reply, _ := json.Marshal(out["reply"])
	if !plate || sl["value"] != "washing machine" {
		t.Fatalf("product %v, reply %s", sl, reply)
	}
	found := false
	for _, a := range st["actions"].([]any) {
		if a := a.(map[string]any); a["type"] == "diagnosis" && a["params"].(map[string]any)["code"] == "E21" {
			found = true
		}
	}
	if !found || !strings.Contains(string(reply), "E21 on your washing machine") {
		t.Fatalf("no E21 diagnosis for the washer: %v %s", st["actions"], reply)
	}
}

// FuzzReadOrders feeds arbitrary bytes to the orders-file reader: it returns orders that all
// have an ID, or ErrBadOrders, and what it returns written back reads the same.
func FuzzReadOrders(f *testing.F) {
	f.Add([]byte(`{"id":"o_1","pack":"appliances","items":[{"sku":"WL-0505","qty":2,"price":34}],"total":68}` + "\n"))
	f.Add([]byte(`{"id":"o_1","pack":"appl`))
	f.Add([]byte("not json\n{\"id\":\"o_1\"}\n"))
	f.Add([]byte("\n\n{\"id\":\"\"}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		list, err := server.ReadOrders(raw)
		if err != nil {
			if !errors.Is(err, server.ErrBadOrders) {
				t.Fatalf("error %v is not ErrBadOrders", err)
			}
			return
		}
		var again bytes.Buffer
		for _, o := range list {
			if o.ID == "" {
				t.Fatalf("order without an ID from %q", raw)
			}
			line, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			again.Write(append(line, '\n'))
		}
		back, err := server.ReadOrders(again.Bytes())
		if err != nil || len(back) != len(list) {
			t.Fatalf("written back: %d orders, %v; read %d", len(back), err, len(list))
		}
	})
}
