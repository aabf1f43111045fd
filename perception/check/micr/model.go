package micr

import (
	"crypto/sha256"
	_ "embed" // the shipped glyph classifier
	"encoding/hex"
	"sync"
)

// modelFile is the glyph classifier shipped with the reader, built by `parley micr train` from the
// public E-13B line set and lines drawn from the standard's geometry; model/e13b.sha256 holds
// its checksum.
//
//go:embed model/e13b.bin
var modelFile []byte

//go:embed model/e13b.sha256
var modelSum string

var (
	shippedOnce sync.Once
	shipped     *Model
)

// ShippedModel returns the glyph classifier built into the reader, or nil when its file does not
// decode or does not match its checksum (the reader then falls back to the standard's geometry).
func ShippedModel() *Model {
	shippedOnce.Do(func() {
		if ModelChecksum() != firstField(modelSum) {
			return
		}
		if m, err := LoadModel(modelFile); err == nil {
			shipped = m
		}
	})
	return shipped
}

// ModelChecksum is the sha256 of the shipped model file, in hex.
func ModelChecksum() string {
	s := sha256.Sum256(modelFile)
	return hex.EncodeToString(s[:])
}

func firstField(s string) string {
	for i, r := range s {
		if r == ' ' || r == '\n' || r == '\t' {
			return s[:i]
		}
	}
	return s
}
