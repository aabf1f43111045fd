// Command parley serves and drives the Parley multimodal customer-service agent.
package main

import (
	"os"

	"github.com/parleyhq/parley/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
