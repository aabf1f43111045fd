package cli

import (
	"log/slog"

	"github.com/parleyhq/parley/internal/server"
	_ "github.com/parleyhq/parley/internal/std" // the standard perception stages
)

// standardOptions wires the standard components into a server: speech, video, live streams.
func standardOptions(log *slog.Logger) server.Options {
	return server.Options{Logger: log}
}
