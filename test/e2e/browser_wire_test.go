package e2e

import (
	"github.com/parleyhq/parley/internal/server"
	_ "github.com/parleyhq/parley/perception/asr" // audio.asr: voice notes and live speech
)

// standardOptions wires the components the browser tests exercise, as `parley serve` does.
func standardOptions() server.Options {
	return server.Options{}
}
