// Package blobfs is the filesystem store.Blobs: each blob is one file named by the SHA-256 of its
// content, under a two-level fan-out (ab/cd/abcd...), written to a temporary file, synced and renamed
// into place, so a blob is either absent or complete.
package blobfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parleyhq/parley/store"
)

// ErrBadHash is returned for a hash that is not 64 hexadecimal digits. It wraps store.ErrNotFound,
// since no blob can have such a name.
var ErrBadHash = fmt.Errorf("%w: invalid blob hash", store.ErrNotFound)

// FS is a store.Blobs in a directory.
type FS struct {
	dir string
}

var _ store.Blobs = (*FS)(nil)

// sniffLen is how many leading bytes decide the content type (as http.DetectContentType reads).
const sniffLen = store.SniffLen

// New returns the blob store in dir, creating the directory if needed.
func New(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blobfs: empty directory")
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	removeStale(tmp, time.Now().Add(-staleAfter))
	return &FS{dir: dir}, nil
}

// staleAfter is the age past which a temporary file is taken as left over from a crash.
const staleAfter = time.Hour

// removeStale deletes temporary files older than before; a put in progress is never that old.
func removeStale(tmp string, before time.Time) {
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
}

// Put stores what r yields, at most max bytes, and returns its ref with Hash, Size, ContentType
// (sniffed from the content) and Kind (image, audio or video when the content type says so).
// Past max it returns store.ErrTooLarge and stores nothing. A max of zero or less means no limit.
func (b *FS) Put(ctx context.Context, r io.Reader, max int64) (ref store.BlobRef, err error) {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "put-*")
	if err != nil {
		return ref, fmt.Errorf("blobfs: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var head headBuffer
	src := io.Reader(ctxReader{ctx, r})
	if max > 0 {
		src = io.LimitReader(src, max+1)
	}
	n, err := io.Copy(io.MultiWriter(tmp, h, &head), src)
	if err != nil {
		return ref, fmt.Errorf("blobfs: write blob: %w", err)
	}
	if max > 0 && n > max {
		return ref, fmt.Errorf("blobfs: blob over %d bytes: %w", max, store.ErrTooLarge)
	}
	if err := tmp.Sync(); err != nil {
		return ref, fmt.Errorf("blobfs: sync blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return ref, fmt.Errorf("blobfs: close blob: %w", err)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	path := b.path(hash)
	if err := b.mkdirs(hash); err != nil {
		return ref, fmt.Errorf("blobfs: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return ref, fmt.Errorf("blobfs: store blob: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return ref, fmt.Errorf("blobfs: sync directory: %w", err)
	}
	ct := sniff(head.b)
	return store.BlobRef{Kind: kindOf(ct), Hash: hash, ContentType: ct, Size: n}, nil
}

// Open returns the blob with the given hash (an *os.File, so it can also Seek and Stat), or
// store.ErrNotFound.
func (b *FS) Open(ctx context.Context, hash string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validHash(hash) {
		return nil, fmt.Errorf("blobfs: %q: %w", hash, ErrBadHash)
	}
	f, err := os.Open(b.path(strings.ToLower(hash)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blobfs: blob %s: %w", hash, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	return f, nil
}

// Delete removes the blob with the given hash, or returns store.ErrNotFound. A reader that
// opened it before keeps reading it to the end.
func (b *FS) Delete(ctx context.Context, hash string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validHash(hash) {
		return fmt.Errorf("blobfs: %q: %w", hash, ErrBadHash)
	}
	path := b.path(strings.ToLower(hash))
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobfs: blob %s: %w", hash, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("blobfs: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// ContentType sniffs the content type of a stored blob from its first bytes.
func (b *FS) ContentType(ctx context.Context, hash string) (string, error) {
	rc, err := b.Open(ctx, hash)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	buf := make([]byte, sniffLen)
	n, err := io.ReadFull(rc, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("blobfs: %w", err)
	}
	return sniff(buf[:n]), nil
}

// mkdirs creates the two fan-out directories of hash, syncing the parent of each one it creates so
// the new entry is durable too.
func (b *FS) mkdirs(hash string) error {
	parent := b.dir
	for _, name := range []string{hash[:2], hash[2:4]} {
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, 0o750)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		parent = dir
	}
	return nil
}

func (b *FS) path(hash string) string {
	return filepath.Join(b.dir, hash[:2], hash[2:4], hash)
}

func validHash(h string) bool { return store.ValidHash(h) }

func sniff(head []byte) string { return store.SniffContentType(head) }

func kindOf(contentType string) string { return store.KindOf(contentType) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// headBuffer keeps the first sniffLen bytes written to it.
type headBuffer struct{ b []byte }

func (h *headBuffer) Write(p []byte) (int, error) {
	if n := sniffLen - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
