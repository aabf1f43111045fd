package backend_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/backend"
	"github.com/parleyhq/parley/store/postgres/pgtest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    backend.Config
		ok   bool
	}{
		{"default sqlite", backend.Config{DataDir: "/data"}, true},
		{"sqlite with path", backend.Config{Driver: "sqlite", DSN: "/db/x.db", DataDir: "/data"}, true},
		{"postgres", backend.Config{Driver: "postgres", DSN: "postgres://localhost/parley", DataDir: "/data"}, true},
		{"postgres without DSN", backend.Config{Driver: "postgres", DataDir: "/data"}, false},
		{"unknown driver", backend.Config{Driver: "mysql", DataDir: "/data"}, false},
		{"no data dir", backend.Config{}, false},
		{"postgres blobs", backend.Config{Driver: "postgres", DSN: "postgres://localhost/parley", DataDir: "/data", Blobs: "postgres"}, true},
		{"postgres with fs blobs", backend.Config{Driver: "postgres", DSN: "postgres://localhost/parley", DataDir: "/data", Blobs: "fs"}, true},
		{"postgres blobs beside sqlite", backend.Config{DataDir: "/data", Blobs: "postgres"}, false},
		{"unknown blobs", backend.Config{DataDir: "/data", Blobs: "s3"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, backend.ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

// roundTrip stores a conversation and a blob through the opened backend and reads them back; it
// returns the blob's hash.
func roundTrip(t *testing.T, c backend.Config) string {
	ctx := context.Background()
	s, blobs, err := backend.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conv := &store.Conversation{Pack: "bank"}
	if err := s.CreateConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conversation(ctx, conv.ID); err != nil {
		t.Fatal(err)
	}
	ref, err := blobs.Put(ctx, bytes.NewReader([]byte("attachment")), 100)
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(c.DataDir, "blobs", ref.Hash[:2], ref.Hash[2:4], ref.Hash))
	if onDisk := c.BlobBackend() == backend.FS; onDisk != (err == nil) {
		t.Errorf("blob under DataDir/blobs: %v, want %v (blobs %s)", err == nil, onDisk, c.BlobBackend())
	}
	rc, err := blobs.Open(ctx, ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	return ref.Hash
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	roundTrip(t, backend.Config{DataDir: dir})
	if _, err := os.Stat(filepath.Join(dir, "parley.db")); err != nil {
		t.Errorf("default database not at DataDir/parley.db: %v", err)
	}
}

func TestOpenPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	dsn := srv.FreshDSN(t)
	hash := roundTrip(t, backend.Config{Driver: "postgres", DSN: dsn, DataDir: t.TempDir()})
	// A second node with its own data directory reads the blob the first stored.
	other, blobs, err := backend.Open(context.Background(), backend.Config{Driver: "postgres", DSN: dsn, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rc, err := blobs.Open(context.Background(), hash)
	if err != nil {
		t.Fatalf("the other node cannot open the blob: %v", err)
	}
	rc.Close()
	roundTrip(t, backend.Config{Driver: "postgres", DSN: srv.FreshDSN(t), DataDir: t.TempDir(), Blobs: "fs"})
}

// eraseLeavesNoBlob stores two conversations sharing one photo, each with one of its own, erases
// the first and checks that its own photo is gone from the blob store while the shared one stays.
func eraseLeavesNoBlob(t *testing.T, c backend.Config) {
	ctx := context.Background()
	s, blobs, err := backend.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(data string) store.BlobRef {
		ref, err := blobs.Put(ctx, bytes.NewReader([]byte(data)), 100)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	shared, own, other := put("shared photo"), put("own photo"), put("other photo")
	var ids []string
	for _, parts := range [][]store.BlobRef{{shared, own}, {shared, other}} {
		conv := &store.Conversation{Pack: "bank"}
		if err := s.CreateConversation(ctx, conv); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMessage(ctx, &store.Message{ConversationID: conv.ID, Role: store.RoleCustomer, Parts: parts}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, conv.ID)
	}
	n, err := store.Erase(ctx, s.(store.Retention), blobs, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Erase deleted %d blobs, want 1", n)
	}
	if _, err := blobs.Open(ctx, own.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the erased conversation's photo is still stored: %v", err)
	}
	for _, ref := range []store.BlobRef{shared, other} {
		rc, err := blobs.Open(ctx, ref.Hash)
		if err != nil {
			t.Errorf("a blob the other conversation uses is gone: %v", err)
			continue
		}
		rc.Close()
	}
	if c.BlobBackend() == backend.FS {
		if _, err := os.Stat(filepath.Join(c.DataDir, "blobs", own.Hash[:2], own.Hash[2:4], own.Hash)); !os.IsNotExist(err) {
			t.Errorf("the erased photo's file is still on disk: %v", err)
		}
	}
}

func TestEraseLeavesNoBlobSQLite(t *testing.T) {
	eraseLeavesNoBlob(t, backend.Config{DataDir: t.TempDir()})
}

func TestEraseLeavesNoBlobPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	eraseLeavesNoBlob(t, backend.Config{Driver: "postgres", DSN: srv.FreshDSN(t), DataDir: t.TempDir()})
}
