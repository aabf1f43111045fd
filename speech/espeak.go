package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/parleyhq/parley/media"
)

// Espeak synthesises with the espeak-ng command line. The text goes through stdin as SSML, never
// through a shell or the argument list.
type Espeak struct {
	path string
	// Timeout bounds one synthesis.
	Timeout time.Duration
}

var _ Synthesizer = (*Espeak)(nil)

var voiceRe = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,40}$`)

// NewEspeak finds espeak-ng on the PATH; it returns ErrUnavailable when it is not installed.
func NewEspeak() (*Espeak, error) {
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, fmt.Errorf("%w: espeak-ng (apt-get install espeak-ng)", ErrUnavailable)
	}
	return &Espeak{path: p, Timeout: 30 * time.Second}, nil
}

// Synthesize speaks text at opts.RateWPM with opts.PauseMS between sentences and returns WAV
// (22.05 kHz mono 16-bit) or Ogg Opus.
func (e *Espeak) Synthesize(ctx context.Context, text string, opts Options) ([]byte, error) {
	sents := Sentences(text)
	if len(sents) == 0 {
		return nil, ErrNothingToSay
	}
	rate := opts.RateWPM
	if rate == 0 {
		rate = RateNormal
	}
	rate = max(MinRate, min(MaxRate, rate))
	voice := opts.Voice
	if voice == "" || !voiceRe.MatchString(voice) {
		voice = "en-us"
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.path, "-m", "-v", voice, "-s", fmt.Sprint(rate), "--stdout", "--stdin")
	cmd.Stdin = strings.NewReader(ssml(sents, opts.PauseMS))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("speech: espeak-ng: %w", ctx.Err())
		}
		return nil, fmt.Errorf("speech: espeak-ng: %v: %.200s", err, stderr.String())
	}
	wav, err := fixStreamedWAV(out.Bytes())
	if err != nil {
		return nil, err
	}
	if opts.Format == "opus" {
		return media.FFmpeg(ctx, wav, 64<<20, "-f", "wav", "-i", "pipe:0", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", "pipe:1")
	}
	return wav, nil
}

// fixStreamedWAV sets the RIFF and data sizes that a program writing to a pipe could not know.
func fixStreamedWAV(b []byte) ([]byte, error) {
	if !media.IsWAV(b) {
		return nil, fmt.Errorf("speech: espeak-ng wrote no WAV audio")
	}
	p := 12
	for p+8 <= len(b) {
		size := int(binary.LittleEndian.Uint32(b[p+4:]))
		if string(b[p:p+4]) == "data" {
			n := len(b) - p - 8
			n -= n % 2
			b = b[:p+8+n]
			binary.LittleEndian.PutUint32(b[p+4:], uint32(n))
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
			return b, nil
		}
		p += 8 + size + size&1
	}
	return nil, fmt.Errorf("speech: espeak-ng WAV has no data")
}
