package blobfs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
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
