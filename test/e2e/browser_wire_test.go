package e2e

import "github.com/parleyhq/parley/internal/server"

// standardOptions wires the components the browser tests exercise, as `parley serve` does.
func standardOptions() server.Options {
	return server.Options{}
}
