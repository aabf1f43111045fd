package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
)

// TestNotifyAcrossProcesses: what one store sends, a listener on another store over the same
// database receives, in order, small payloads in the NOTIFY and large ones through the table.
func TestNotifyAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	dsn := srv.FreshDSN(t)
	ctx := context.Background()
	a, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan []byte, 8)
	l, err := a.Listen(ctx, "parley_test", func(p []byte) { got <- p })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := [][]byte{[]byte(`{"n":1}`), bytes.Repeat([]byte("x"), 20000), []byte("@not a reference")}
	for _, p := range want {
		if err := b.Notify(ctx, "parley_test", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Notify(ctx, "other_channel", []byte("not for us")); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		select {
		case p := <-got:
			if !bytes.Equal(p, w) {
				t.Fatalf("payload %d: got %d bytes %.20q, want %d bytes %.20q", i, len(p), p, len(w), w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("payload %d never arrived", i)
		}
	}
	select {
	case p := <-got:
		t.Fatalf("unexpected payload %.20q", p)
	case <-time.After(200 * time.Millisecond):
	}
}
