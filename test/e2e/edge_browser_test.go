package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
)

// TestEdgeWasmInChromium builds the edge WebAssembly, serves it, and has Chromium judge check photos
// with it in the chat page: the verdicts and measurements match the server's Go code on the same bytes.
// startEdgeServer builds the edge WebAssembly and starts a server that serves it with the models.
func startEdgeServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "parley.wasm"), "../../cmd/parley-edge")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the edge WebAssembly: %v\n%s", err, out)
	}
	if st, err := os.Stat(filepath.Join(dir, "parley.wasm")); err == nil {
		t.Logf("parley.wasm: %d bytes", st.Size())
	}
	execJS, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644)
	cfg := config.Default()
	cfg.DataDir, cfg.EdgeDir, cfg.ModelDir = t.TempDir(), dir, modelDir()
	s, err := server.New(t.Context(), cfg, wire.Options(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return hs.URL
}

// modelDir is PARLEY_MODELS or the repository's models directory.
func modelDir() string {
	if d := os.Getenv("PARLEY_MODELS"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../models")
	return d
}

// TestEdgeWasmInChromium builds the edge WebAssembly, serves it, and has Chromium judge check photos
// with it in the chat page: the verdicts and measurements match the server's Go code on the same bytes.
func TestEdgeWasmInChromium(t *testing.T) {
	env := newBrowserEnv(t)
	base := startEdgeServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "edge.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("edge.mjs: %v\n%s", err, stderr.String())
	}
	type verdict struct {
		MS          float64
		Readable    bool
		Instruction string
		Sharpness   float64
		Raw, Upload int
		Photo       string
	}
	var out struct {
		Loaded         bool
		Sharp, Blurred verdict
		Wasm           []struct{ Encoding, Cache string }
		Speech         struct {
			Segments  [][3]int
			Sent, Raw int
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %.300s", err, raw)
	}
	if !out.Loaded || len(out.Wasm) == 0 || out.Wasm[0].Encoding != "gzip" || !strings.Contains(out.Wasm[0].Cache, "immutable") {
		t.Fatalf("the page did not load the edge WebAssembly compressed and cached: %+v", out.Wasm)
	}
	if !out.Sharp.Readable || out.Sharp.Upload == 0 || out.Sharp.Upload > edge.MaxPhotoBytes {
		t.Errorf("sharp photo: %+v", out.Sharp)
	}
	if out.Blurred.Readable || out.Blurred.Upload != 0 || out.Blurred.Instruction == "" {
		t.Errorf("blurred photo would be uploaded: %+v", out.Blurred)
	}
	if sp := out.Speech; len(sp.Segments) != 2 || sp.Sent == 0 || sp.Sent > sp.Raw/2 {
		t.Errorf("local speech detection: %+v", sp)
	} else {
		t.Logf("speech detected in Chromium: segments %v, %d of %d bytes sent", sp.Segments, sp.Sent, sp.Raw)
	}
	for name, v := range map[string]verdict{"sharp": out.Sharp, "blurred": out.Blurred} {
		photo, _ := base64.StdEncoding.DecodeString(v.Photo)
		j, err := edge.JudgePhoto(photo, 0)
		if err != nil {
			t.Fatal(err)
		}
		if j.Report.Readable != v.Readable || math.Abs(j.Report.Sharpness-v.Sharpness) > 1e-6*math.Max(1, j.Report.Sharpness) || len(j.Upload) != v.Upload {
			t.Errorf("%s: browser %v sharpness %.3f upload %d; server %v %.3f %d", name, v.Readable, v.Sharpness, v.Upload, j.Report.Readable, j.Report.Sharpness, len(j.Upload))
		}
		t.Logf("%s: %d bytes taken, %d bytes up, judged in %.0f ms in Chromium", name, v.Raw, v.Upload, v.MS)
	}
}

// TestEdgeFaceInChromium runs the face models in the page on a fake camera's frames: the WebAssembly's
// expression scores are within 0.02 of the server's Go code on the same pixels, and a live call's
// upload (scores and landmark cues at most every 3 s, a 96-pixel thumbnail every 30 s) stays under 2 kbit/s.
func TestEdgeFaceInChromium(t *testing.T) {
	env := newBrowserEnv(t)
	models := modelDir()
	native, err := edge.NewFace(models)
	if err != nil {
		t.Skipf("face models not installed in %s: %v", models, err)
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("needs ffmpeg for the fake camera")
	}
	cam := filepath.Join(t.TempDir(), "face.y4m")
	if out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", "../../perception/face/testdata/smiling.jpg",
		"-t", "2", "-r", "10", "-vf", "scale=640:-2", "-pix_fmt", "yuv420p", cam).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	base := startEdgeServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "edge_face.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "FAKE_VIDEO="+cam)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("edge_face.mjs: %v\n%s", err, stderr.String())
	}
	var out struct {
		Loaded         bool
		LoadMS         float64 `json:"load_ms"`
		Width, Height  int
		ThumbnailBytes int `json:"thumbnail_bytes"`
		Frames         []struct {
			MS          float64
			Faces       []edge.FaceScore
			PNG         string
			ReportBytes int `json:"report_bytes"`
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %.300s\n%s", err, raw, stderr.String())
	}
	if !out.Loaded || len(out.Frames) == 0 {
		t.Fatalf("on-device faces did not load: %s", stderr.String())
	}
	worst := 0.0
	for i, f := range out.Frames {
		data, _ := base64.StdEncoding.DecodeString(f.PNG)
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := native.Expressions(img)
		if len(want) == 0 || len(f.Faces) != len(want) {
			os.WriteFile(filepath.Join(os.TempDir(), "edge-face-frame.png"), data, 0o644)
			t.Fatalf("frame %d: browser found %d faces, server %d", i, len(f.Faces), len(want))
		}
		for k, p := range want[0].Expression {
			worst = math.Max(worst, math.Abs(p-f.Faces[0].Expression[k]))
		}
		t.Logf("frame %d (%dx%d): %.0f ms in Chromium; browser %v; server %v", i, out.Width, out.Height, f.MS, f.Faces[0].Expression, want[0].Expression)
	}
	if worst > 0.02 {
		t.Errorf("browser and server expression scores differ by %.4f (> 0.02)", worst)
	}
	// At worst a score report with every cue every 3 s (scores that keep changing) and a thumbnail (base64) every
	// 30 s, against 720p video at about 1.5 Mbit/s; TestEdgeVideoCallSendsScores measures a call.
	kbps := (float64(out.Frames[0].ReportBytes)/3 + float64(out.ThumbnailBytes)*4/3/30) * 8 / 1000
	t.Logf("largest score difference %.5f; models loaded in %.0f ms; live affect up at most %.2f kbit/s (report %d B per 3 s, thumbnail %d B per 30 s)",
		worst, out.LoadMS, kbps, out.Frames[0].ReportBytes, out.ThumbnailBytes)
	if kbps > 2 {
		t.Errorf("live affect sends %.2f kbit/s, more than 2", kbps)
	}
}

// edgeCallOut is what edge_call.mjs prints.
type edgeCallOut struct {
	Conversation string
	Frames       int
	RawVideo     string  `json:"raw_video"`
	WindowMS     float64 `json:"window_ms"`
	Sent         []struct {
		Type            string
		Bytes           int
		Thumbnail, Cues bool
	}
}

// edgeCall runs edge_call.mjs (a video call on a fake camera showing a face) against a server
// with the edge build; extra are environment settings for the script (PACK, MESSAGE, WINDOW_MS).
func edgeCall(t *testing.T, extra ...string) (edgeCallOut, string) {
	env := newBrowserEnv(t)
	if _, err := edge.NewFace(modelDir()); err != nil {
		t.Skipf("face models not installed: %v", err)
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("needs ffmpeg for the fake camera")
	}
	cam := filepath.Join(t.TempDir(), "face.y4m")
	if out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", "../../perception/face/testdata/smiling.jpg",
		"-t", "2", "-r", "10", "-vf", "scale=640:-2", "-pix_fmt", "yuv420p", cam).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	base := startEdgeServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "edge_call.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "FAKE_VIDEO="+cam)
	cmd.Env = append(cmd.Env, extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("edge_call.mjs: %v\n%s", err, stderr.String())
	}
	var out edgeCallOut
	if err := json.Unmarshal(raw, &out); err != nil || out.Conversation == "" {
		t.Fatalf("%v: %s %s", err, raw, stderr.String())
	}
	return out, base
}

// TestEdgeVideoCallSendsScores has the chat run a video call on a fake camera with the edge
// WebAssembly: the server receives expression scores and a small thumbnail over the live socket
// instead of frames, at most 2 kbit/s, counts the bytes against what the frames would have cost,
// and does not ask for the frames of a clear face.
func TestEdgeVideoCallSendsScores(t *testing.T) {
	out, base := edgeCall(t)
	// What the page sent in one thumbnail period: scores and a thumbnail, never a frame.
	var up, reports, thumbs, cues int
	for _, m := range out.Sent {
		switch m.Type {
		case "edge":
			up += m.Bytes
			reports++
			if m.Thumbnail {
				thumbs++
			}
			if m.Cues {
				cues++
			}
		case "frame":
			t.Errorf("a camera frame went up although the device read the face (%d bytes)", m.Bytes)
		}
	}
	kbps := float64(up) * 8 / out.WindowMS // bytes per ms * 8 = kbit/s
	t.Logf("%d frames read on the device; in %.0f s, %d reports (%d with a thumbnail, %d with landmark cues) = %d bytes up: %.2f kbit/s (720p video: about 1500 kbit/s)",
		out.Frames, out.WindowMS/1000, reports, thumbs, cues, up, kbps)
	if reports == 0 || thumbs == 0 || kbps > 2 {
		t.Fatalf("live affect: %d reports, %d thumbnails, %.2f kbit/s up (want scores, a thumbnail, at most 2 kbit/s)", reports, thumbs, kbps)
	}
	if _, err := os.Stat(filepath.Join(modelDir(), edge.LandmarkModels[1])); err == nil && cues == 0 {
		t.Errorf("facemesh is installed but no report carried landmark cues")
	}
	if out.RawVideo != "false" {
		t.Errorf("the server asked for the frames of a clear face: raw_video %q", out.RawVideo)
	}
	var bytesUp struct {
		Sent, Raw int64
	}
	getJSON(t, base+"/v1/conversations/"+out.Conversation+"/bytes", &bytesUp)
	if bytesUp.Sent == 0 || bytesUp.Raw < 20*bytesUp.Sent {
		t.Fatalf("video bytes sent %d, raw %d", bytesUp.Sent, bytesUp.Raw)
	}
	t.Logf("server counted %d bytes received for %d bytes of frames (%.2f%%)", bytesUp.Sent, bytesUp.Raw, 100*float64(bytesUp.Sent)/float64(bytesUp.Raw))
}

// TestEdgeVideoCallSendsFramesWhenAsked: in a fault diagnosis, which reads the product's display
// and lights from the video on the server, the server's answer to the device's first report asks
// for the frames, and the device sends them.
func TestEdgeVideoCallSendsFramesWhenAsked(t *testing.T) {
	out, _ := edgeCall(t, "PACK=appliances", "MESSAGE=my washing machine stopped mid cycle", "WINDOW_MS=6000")
	frames := 0
	for _, m := range out.Sent {
		if m.Type == "frame" {
			frames++
		}
	}
	if out.RawVideo != "true" || frames < 5 {
		t.Fatalf("raw_video %q, %d frames sent in %.0f s", out.RawVideo, frames, out.WindowMS/1000)
	}
	t.Logf("the server asked for the video: %d frames sent in %.0f s", frames, out.WindowMS/1000)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestEdgeLiveVoiceSendsOnlySpeech has the chat run a live voice call with the edge WebAssembly
// on a fake microphone that speaks once in a long silence: the device finds the speech, only its
// segment goes up (far fewer bytes than the raw audio), the server answers it, and the
// conversation's audio bytes are counted. The fake microphone loops its file from when the
// device opens, so a window as long as the file holds the utterance once, however late the page
// starts listening on a loaded machine.
func TestEdgeLiveVoiceSendsOnlySpeech(t *testing.T) {
	env := newBrowserEnv(t)
	wav, _ := speechWAV(t, "I want to deposit a check")
	wav, loop := withLeadingSilence(t, wav, 4*time.Second)
	base := startEdgeServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "edge_voice.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "FAKE_AUDIO="+wav,
		"LISTEN_SECONDS="+secondsArg(loop))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("edge_voice.mjs: %v\n%s", err, stderr.String())
	}
	var out struct {
		Conversation string
		VAD          string
		AudioSent    int64 `json:"audio_sent"`
		AudioRaw     int64 `json:"audio_raw"`
		Up           struct {
			Binary, Text   int64
			BinaryMessages int `json:"binaryMessages"`
		}
		Transcript string
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Conversation == "" {
		t.Fatalf("%v: %s %s", err, raw, stderr.String())
	}
	if out.VAD != "edge" {
		t.Fatalf("the page did not detect speech on the device: %+v", out)
	}
	if out.Up.BinaryMessages == 0 || out.Up.Binary != out.AudioSent || out.Up.Binary*2 > out.AudioRaw {
		t.Fatalf("audio up %d bytes in %d messages for %d bytes captured", out.Up.Binary, out.Up.BinaryMessages, out.AudioRaw)
	}
	var counted struct {
		BySent map[string]int64 `json:"sent_by_kind"`
		ByRaw  map[string]int64 `json:"raw_by_kind"`
	}
	getJSON(t, base+"/v1/conversations/"+out.Conversation+"/bytes", &counted)
	if counted.BySent["audio"] == 0 || counted.ByRaw["audio"] < 2*counted.BySent["audio"] {
		t.Fatalf("server counted audio %v of %v", counted.BySent, counted.ByRaw)
	}
	t.Logf("%.1f s captured: %d bytes of speech in %d segments up (%.0f%% of %d raw), %d bytes of JSON; heard %q",
		float64(out.AudioRaw)/32000, out.Up.Binary, out.Up.BinaryMessages, 100*float64(out.Up.Binary)/float64(out.AudioRaw), out.AudioRaw, out.Up.Text, out.Transcript)
}

// withLeadingSilence writes a copy of the WAV at path with d of silence before it, and returns the
// copy and its length.
func withLeadingSilence(t *testing.T, path string, d time.Duration) (string, time.Duration) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rate, pcm, err := wavPCM(b)
	if err != nil {
		t.Fatal(err)
	}
	pcm = append(pcmSilence(rate, d), pcm...)
	out := strings.TrimSuffix(path, ".wav") + "-late.wav"
	if err := os.WriteFile(out, wavBytes(rate, pcm), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, time.Duration(len(pcm)/2) * time.Second / time.Duration(rate)
}
