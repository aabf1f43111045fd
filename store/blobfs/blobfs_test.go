package blobfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) store.Blobs {
		b, err := blobfs.New(storetest.Dir(t))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// TestNothingLeftBehind checks that refused and failed puts leave no files, temporary or final.
func TestNothingLeftBehind(t *testing.T) {
	dir := t.TempDir()
	b, err := blobfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(context.Background(), bytes.NewReader(make([]byte, 5000)), 4096); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("Put = %v, want ErrTooLarge", err)
	}
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("files left behind: %v", files)
	}
}

func TestContentType(t *testing.T) {
	b, err := blobfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wav := append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 32)...)
	tests := []struct {
		name, want, kind string
		data             []byte
	}{
		{"wav", "audio/wav", "audio", wav},
		{"jpeg", "image/jpeg", "image", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")},
		{"mp4", "video/mp4", "video", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2")},
		{"text", "text/plain; charset=utf-8", "", []byte("just words")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := b.Put(context.Background(), bytes.NewReader(tc.data), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if ref.ContentType != tc.want || ref.Kind != tc.kind {
				t.Errorf("Put ref = %q/%q, want %q/%q", ref.ContentType, ref.Kind, tc.want, tc.kind)
			}
			ct, err := b.ContentType(context.Background(), ref.Hash)
			if err != nil || ct != tc.want {
				t.Errorf("ContentType = %q, %v; want %q", ct, err, tc.want)
			}
		})
	}
}

func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	if _, err := blobfs.New(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "put-crashed")
	fresh := filepath.Join(dir, "tmp", "put-running")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blobfs.New(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary file removed: %v", err)
	}
}

// FuzzOpen checks that no hash string reaches outside the store: Open either fails with
// ErrNotFound or returns the blob whose content has that hash.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	b, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		f.Fatal(err)
	}
	ref, err := b.Put(context.Background(), bytes.NewReader([]byte("stored")), 100)
	if err != nil {
		f.Fatal(err)
	}
	// A file outside the store that a traversal would find.
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0o600); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{ref.Hash, "../secret", "../../secret", ref.Hash[:2] + "/" + ref.Hash[2:4] + "/" + ref.Hash, "", "tmp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hash string) {
		rc, err := b.Open(context.Background(), hash)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Open(%q) = %v, want ErrNotFound", hash, err)
			}
			return
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), hash) {
			t.Fatalf("Open(%q) returned content with hash %x", hash, sum)
		}
	})
}
