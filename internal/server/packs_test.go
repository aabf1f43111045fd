package server_test

import (
	"testing"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

func mustPacks(t *testing.T) *kb.Library {
	t.Helper()
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}
