package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// browserEnv locates what the browser tests need: node, Debian's chromium and the Playwright scripts
// with their installed node_modules (npm ci --prefix test/e2e/browser).
type browserEnv struct {
	node, chromium, scripts string
	shots                   string // where screenshots go; none when empty
}

// scenarioTimeout bounds one Playwright scenario, browser start included.
const scenarioTimeout = 180 * time.Second

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	_, file, _, _ := runtime.Caller(0)
	scripts := filepath.Join(filepath.Dir(file), "browser")
	chromium := os.Getenv("PARLEY_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser tests need Chromium at %s (apt-get install chromium, or set PARLEY_CHROMIUM): %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("browser tests need Node.js (apt-get install nodejs npm)")
	}
	if v, err := exec.Command(node, "--version").Output(); err != nil || nodeMajor(string(v)) < 18 {
		t.Skipf("browser tests need Node.js 18 or newer for playwright-core; found %q", strings.TrimSpace(string(v)))
	}
	if _, err := os.Stat(filepath.Join(scripts, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Skipf("browser tests need playwright-core: run `npm ci --prefix %s`", scripts)
	}
	shots := os.Getenv("PARLEY_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &browserEnv{node: node, chromium: chromium, scripts: scripts, shots: shots}
}

// run executes one scenario of run.mjs against the server at base and fails the test with the
// script's output when any of its assertions fails.
func (e *browserEnv) run(t *testing.T, scenario, base string, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.node, filepath.Join(e.scripts, "run.mjs"), scenario)
	cmd.Dir = e.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+e.chromium, "PARLEY_SCREENSHOTS="+e.shots)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if ctx.Err() != nil {
		t.Fatalf("scenario %s did not finish within %s", scenario, scenarioTimeout)
	}
	if err != nil {
		where := "set PARLEY_SCREENSHOTS=DIR to keep screenshots"
		if e.shots != "" {
			where = "screenshots in " + e.shots
		}
		t.Fatalf("scenario %s failed: %v (%s)", scenario, err, where)
	}
}

// bargeInGap is the silence between a live test's two utterances: the first one's spoken reply
// (several seconds long) starts well within it, so the second utterance interrupts the playback.
const bargeInGap = 6 * time.Second

// speechWAV synthesises each text with espeak-ng into one 16-bit mono PCM WAV (Chromium's fake
// microphone plays it): 0.3 s of silence, the first text, then each further text after bargeInGap
// of silence, and 2 s of silence at the end. It returns the path and the first text's length.
func speechWAV(t *testing.T, texts ...string) (string, time.Duration) {
	t.Helper()
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("voice browser tests need espeak-ng (apt-get install espeak-ng)")
	}
	dir := t.TempDir()
	var rate uint32
	var pcm []byte
	var first time.Duration
	for i, text := range texts {
		raw := filepath.Join(dir, fmt.Sprintf("espeak%d.wav", i))
		if out, err := exec.Command(espeak, "-v", "en-us", "-s", "150", "-w", raw, text).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v: %s", err, out)
		}
		b, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		r, speech, err := wavPCM(b)
		if err != nil {
			t.Fatalf("espeak-ng output: %v", err)
		}
		gap := 300 * time.Millisecond
		if i == 0 {
			rate, first = r, time.Duration(len(speech)/2)*time.Second/time.Duration(r)
		} else {
			gap = bargeInGap
		}
		if r != rate {
			t.Fatalf("espeak-ng changed its sample rate from %d to %d", rate, r)
		}
		pcm = append(append(pcm, pcmSilence(rate, gap)...), speech...)
	}
	// The tail is long enough for end-of-utterance detection.
	path := filepath.Join(dir, "speech.wav")
	if err := os.WriteFile(path, wavBytes(rate, append(pcm, pcmSilence(rate, 2*time.Second)...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, first
}

// pcmSilence is d of 16-bit mono PCM zeros at rate.
func pcmSilence(rate uint32, d time.Duration) []byte {
	return make([]byte, 2*int(time.Duration(rate)*d/time.Second))
}

// wavPCM returns the sample rate and 16-bit mono PCM data of a WAV file.
func wavPCM(b []byte) (uint32, []byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, errors.New("not a RIFF WAVE file")
	}
	var rate uint32
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return 0, nil, errors.New("want 16-bit mono PCM")
			}
			rate = binary.LittleEndian.Uint32(body[4:])
		case "data":
			if rate == 0 {
				return 0, nil, errors.New("data chunk before fmt chunk")
			}
			if size > len(body) || size < 0 { // streamed WAVs leave the size unset
				size = len(body)
			}
			return rate, body[:size&^1], nil
		}
		p += 8 + size + size&1
	}
	return 0, nil, errors.New("no data chunk")
}

// wavBytes wraps 16-bit mono PCM in a WAV header.
func wavBytes(rate uint32, pcm []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(pcm)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(rate)
	le(rate * 2)
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(len(pcm)))
	b.Write(pcm)
	return b.Bytes()
}

// testPNG renders a small picture (a receipt-like card with stripes) for the upload test.
func testPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			c := color.RGBA{240, 244, 250, 255}
			if y > 20 && y < 40 || (y/24)%2 == 0 && x > 30 && x < 290 && y > 60 {
				c = color.RGBA{53, 88, 230, 255}
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "photo.png")
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testWebM makes a 1.5 s WebM clip (test pattern and a tone) with ffmpeg; without ffmpeg it returns
// "" and the chat scenario leaves the video upload out.
func testWebM(t *testing.T) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Log("ffmpeg not found: the video upload step is left out")
		return ""
	}
	path := filepath.Join(t.TempDir(), "clip.webm")
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "1.5", "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return path
}

// nodeMajor reads the major version from `node --version` output such as "v20.20.2".
func nodeMajor(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 2)[0])
	return n
}

func secondsArg(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
