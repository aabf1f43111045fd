package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// FFmpegTimeout bounds one ffmpeg run.
var FFmpegTimeout = 2 * time.Minute

// ErrNoFFmpeg is returned when the ffmpeg binary is not installed.
var ErrNoFFmpeg = errors.New("media: ffmpeg is not installed")

// FFmpeg runs ffmpeg with args, feeding stdin, and returns stdout, refusing output past maxOut bytes.
// Use "pipe:0" as input and "pipe:1" as output in args.
func FFmpeg(ctx context.Context, stdin []byte, maxOut int64, args ...string) ([]byte, error) {
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	ctx, cancel := context.WithTimeout(ctx, FFmpegTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, args...)...)
	// -nostdin stops ffmpeg reading keys; the input still comes from stdin when pipe:0 is named.
	cmd.Args = removeNostdinIfPiped(cmd.Args)
	cmd.Stdin = bytes.NewReader(stdin)
	out := &limitedBuffer{max: maxOut}
	var stderr bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = &stderr
	err = cmd.Run()
	if out.over {
		return nil, fmt.Errorf("%w: decoded media exceeds %d bytes", ErrTooLarge, maxOut)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: ffmpeg took longer than %s", ErrTooLarge, FFmpegTimeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, fmt.Errorf("%w: ffmpeg: %s", ErrCorrupt, msg)
	}
	return out.Bytes(), nil
}

func removeNostdinIfPiped(args []string) []string {
	for _, a := range args {
		if a == "pipe:0" || a == "-" {
			out := args[:0:0]
			for _, b := range args {
				if b != "-nostdin" {
					out = append(out, b)
				}
			}
			return out
		}
	}
	return args
}

type limitedBuffer struct {
	bytes.Buffer
	max  int64
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.max > 0 && int64(b.Len()+len(p)) > b.max {
		b.over = true
		return 0, ErrTooLarge
	}
	return b.Buffer.Write(p)
}
