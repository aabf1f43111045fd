package e2e

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/speech"
)

// webServerOptions wires the components the browser tests exercise the way `parley serve` does
// (internal/cli/wire.go): spoken replies, video, and the live WebSocket.
func webServerOptions() server.Options {
	opts := server.Options{Video: media.ExpandVideo}
	var synth speech.Synthesizer
	if es, err := speech.NewEspeak(); err == nil {
		synth = es
		opts.Speaker = webSpeaker{es}
	}
	opts.Live = func(s *server.Server) http.Handler { return live.Handler(s, live.Options{Synthesizer: synth}) }
	return opts
}

// webSpeaker adapts a speech.Synthesizer to the server, taking pace and pauses from the reply style.
type webSpeaker struct{ s speech.Synthesizer }

func (sp webSpeaker) Speak(ctx context.Context, text string, st dialogue.Style) ([]byte, string, error) {
	opts := speech.Options{RateWPM: st.RateWPM, PauseMS: st.PauseMS}
	data, err := sp.s.Synthesize(ctx, text, opts)
	return data, opts.MIME(), err
}
