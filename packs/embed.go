// Package packs embeds the demo knowledge packs: bank, telecom and appliances, plus common intents
// merged into each.
package packs

import "embed"

// FS holds the packs, one directory each.
//
//go:embed common bank telecom appliances
var FS embed.FS
