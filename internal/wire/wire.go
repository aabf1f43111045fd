// Package wire assembles a server from the standard components: the perception stages, espeak-ng
// speech, ffmpeg video expansion and the live WebSocket. The command line and the end-to-end tests
// build their servers through it, so both run the same wiring.
package wire

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/server"
	_ "github.com/parleyhq/parley/internal/std" // the standard perception stages
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/speech"
)

// Options wires the standard components into server options: speech, video and live streams. A
// component whose program is not installed is left out with a warning.
func Options(log *slog.Logger) server.Options {
	opts := server.Options{Logger: log, Video: media.ExpandVideo}
	var synth speech.Synthesizer
	if es, err := speech.NewEspeak(); err != nil {
		log.Warn("spoken replies disabled", "err", err)
	} else {
		synth = es
		opts.Speaker = speaker{es}
	}
	opts.Live = func(s *server.Server) http.Handler {
		cfg := s.Config()
		return live.Handler(s, live.Options{Synthesizer: synth, Logger: log, VAD: cfg.Speech.VAD, ModelDir: cfg.ModelDir})
	}
	return opts
}

// speaker adapts a speech.Synthesizer to the server, taking pace and pauses from the reply style.
type speaker struct{ s speech.Synthesizer }

func (sp speaker) Speak(ctx context.Context, text string, st dialogue.Style) ([]byte, string, error) {
	opts := speech.Options{RateWPM: st.RateWPM, PauseMS: st.PauseMS}
	data, err := sp.s.Synthesize(ctx, text, opts)
	return data, opts.MIME(), err
}
