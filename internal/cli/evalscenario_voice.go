package cli

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
)

// ErrNoSpeaker is returned for a spoken scenario turn when espeak-ng is not installed.
var ErrNoSpeaker = errors.New("scenario: voice turns need espeak-ng (apt-get install espeak-ng)")

// ErrScriptedRemote is returned for a turn with a scripted hearing played against a remote
// server, which cannot be told what its recogniser heard.
var ErrScriptedRemote = errors.New("scenario: a scripted hearing needs the in-process server")

// Voice is a voice message of a scenario. Say is spoken with espeak-ng and sent as audio, so
// the server's own speech recognition hears it. Heard, when set, scripts what the recogniser
// hears in it instead (a mishearing observed on real speech, "yes a human forty" for "yes,
// eleven forty"), with the recogniser's Confidence and Alternatives: the dialogue is then tested
// on exactly that hearing.
type Voice struct {
	Say          string   `yaml:"say"`
	Heard        string   `yaml:"heard"`
	Confidence   float64  `yaml:"confidence"`
	Alternatives []string `yaml:"alternatives"`
}

// scripted replaces the speech stage's hearing of the audio parts it was told about.
type scripted struct {
	inner perception.Stage // the real speech stage; nil when it is not available here
	mu    sync.Mutex
	heard map[string]Voice // by part file name
}

var (
	_ perception.Stage  = (*scripted)(nil)
	_ perception.Closer = (*scripted)(nil)
)

const asrStageID = "audio.asr"

// Name is the speech stage's: what the scripted stage hears is evidence of audio.asr.
func (s *scripted) Name() string { return asrStageID }

// Accepts takes audio, as the speech stage does.
func (s *scripted) Accepts(k media.Kind) bool { return k == media.Audio }

// Close closes the real speech stage.
func (s *scripted) Close(ctx context.Context) error {
	if c, ok := s.inner.(perception.Closer); ok {
		return c.Close(ctx)
	}
	return nil
}

// script tells the stage what it hears in the audio part named name.
func (s *scripted) script(name string, v Voice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heard[name] = v
}

// Process returns the scripted transcript for a part it knows, else the real stage's.
func (s *scripted) Process(ctx context.Context, item media.Item, e perception.Expectation) ([]perception.Observation, error) {
	s.mu.Lock()
	v, ok := s.heard[item.Name]
	s.mu.Unlock()
	if !ok {
		if s.inner == nil {
			return nil, fmt.Errorf("scenario: %w: no speech recognition here", perception.ErrUnavailable)
		}
		return s.inner.Process(ctx, item, e)
	}
	o := perception.Observation{Kind: perception.KindTranscript, Value: v.Heard, Confidence: v.Confidence}
	if v.Confidence < 0.6 {
		o.Text = "low confidence"
	}
	for i, a := range v.Alternatives {
		o.Alts = append(o.Alts, perception.Alternative{Value: a, Confidence: v.Confidence / float64(i+2)})
	}
	return []perception.Observation{o}, nil
}

// scenarioClient is a client that can also script what the in-process server hears.
type scenarioClient struct {
	*client
	script *scripted // nil against a remote server
	dir    string    // where spoken audio is written
	n      int
}

// connectScenarios is connect for scenarios: an in-process server's speech stage is wrapped so
// that turns with a scripted hearing can tell it what it heard.
func connectScenarios(ctx context.Context, serverURL, dataDir, cfgPath string) (*scenarioClient, error) {
	tmp, err := os.MkdirTemp("", "parley-voice-")
	if err != nil {
		return nil, err
	}
	if serverURL != "" {
		c, err := connect(ctx, serverURL, dataDir, cfgPath)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		inner := c.close
		c.close = func() { inner(); os.RemoveAll(tmp) }
		return &scenarioClient{client: c, dir: tmp}, nil
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		dataDir = filepath.Join(tmp, "data")
	}
	cfg.DataDir = dataDir
	var packFS fs.FS = packs.FS
	if cfg.PacksDir != "" {
		packFS = os.DirFS(cfg.PacksDir)
	}
	lib, err := kb.Load(packFS)
	if err != nil {
		return nil, err
	}
	env := perception.Env{ModelDir: cfg.ModelDir, DataDir: cfg.DataDir, Packs: lib, Options: cfg.StageOptions}
	stages, _, err := perception.Build(env, cfg.Stages)
	if err != nil {
		return nil, err
	}
	sc := &scripted{heard: map[string]Voice{}}
	for i, st := range stages {
		if st.Name() == asrStageID {
			sc.inner = st
			stages = append(stages[:i], stages[i+1:]...)
			break
		}
	}
	stages = append(stages, sc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := wire.Options(log)
	opts.Stages = stages
	srv, err := server.New(ctx, cfg, opts)
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
	c := &client{base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 5 * time.Minute}}
	c.close = func() {
		hs.Close()
		srv.Close(context.Background())
		os.RemoveAll(tmp)
	}
	return &scenarioClient{client: c, script: sc, dir: tmp}, nil
}

// voiceFile writes the audio of a voice turn and, for a scripted hearing, tells the server what
// it will hear in it. It returns the file to send.
func (c *scenarioClient) voiceFile(ctx context.Context, v Voice) (string, error) {
	c.n++
	name := fmt.Sprintf("voice-%03d.wav", c.n)
	path := filepath.Join(c.dir, name)
	if v.Heard != "" {
		if c.script == nil {
			return "", ErrScriptedRemote
		}
		c.script.script(name, v)
	}
	err := speak(ctx, v.Say, path)
	if errors.Is(err, ErrNoSpeaker) && v.Heard != "" {
		// the hearing is scripted: any speech-like audio will do
		err = os.WriteFile(path, toneWAV(), 0o644)
	}
	return path, err
}

// speak writes text spoken by espeak-ng (American English) to a WAV file.
func speak(ctx context.Context, text, path string) error {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return ErrNoSpeaker
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("scenario: a voice turn needs say")
	}
	if out, err := exec.CommandContext(ctx, bin, "-v", "en-us", "-w", path, text).CombinedOutput(); err != nil {
		return fmt.Errorf("espeak-ng: %v: %s", err, out)
	}
	return nil
}

// toneWAV returns one second of a voiced-sounding tone, 16 kHz mono 16-bit PCM.
func toneWAV() []byte {
	const rate, n = 16000, 16000
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], 2*rate)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		v := 8000 * math.Sin(2*math.Pi*150*float64(i)/rate) * (0.6 + 0.4*math.Sin(2*math.Pi*3*float64(i)/rate))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(v)))
	}
	return b
}
