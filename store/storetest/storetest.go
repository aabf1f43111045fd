// Package storetest is the conformance suite every store.Store and store.Blobs backend must pass.
//
// A backend's test calls Run (and RunBlobs) with a function that opens the backend for a test:
//
//	storetest.Run(t, func(t *testing.T) store.Store {
//		s, err := sqlite.Open(context.Background(), filepath.Join(storetest.Dir(t), "parley.db"))
//		if err != nil {
//			t.Fatal(err)
//		}
//		t.Cleanup(func() { s.Close() })
//		return s
//	})
//
// The contract of open: calls with the same *testing.T return stores over the same data (the suite
// closes the first store before opening it again, to check that data survives a restart); calls with
// different tests return independent, empty stores. Dir and Name give each test a stable directory or
// identifier for that purpose. Closing a store twice must be harmless.
package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	dirs   sync.Map // *testing.T -> string
	names  sync.Map // *testing.T -> string
	nextID atomic.Int64
)

// Dir returns a temporary directory for t, the same one on every call with the same t; it is removed
// when t ends.
func Dir(t testing.TB) string {
	if d, ok := dirs.Load(t); ok {
		return d.(string)
	}
	d, _ := dirs.LoadOrStore(t, t.TempDir())
	t.Cleanup(func() { dirs.Delete(t) })
	return d.(string)
}

// Name returns an identifier for t made of lowercase letters, digits and underscores (usable as a
// database or schema name), the same on every call with the same t and different for every test.
func Name(t testing.TB) string {
	if n, ok := names.Load(t); ok {
		return n.(string)
	}
	n, loaded := names.LoadOrStore(t, fmt.Sprintf("storetest_%d", nextID.Add(1)))
	if !loaded {
		t.Cleanup(func() { names.Delete(t) })
	}
	return n.(string)
}
