package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store"
)

// chunkSize is the size of one stored piece of a blob.
const chunkSize = 1 << 20

// Blobs is a store.Blobs in the PostgreSQL database, shared by every node on it. A Put writes the
// content in chunks and the blob's row in one transaction: a blob is absent or complete, and the
// second of two puts of the same content keeps the first.
type Blobs struct {
	p *Postgres
}

var _ store.Blobs = (*Blobs)(nil)

// Blobs returns the blob store in p's database; it is closed with p.
func (p *Postgres) Blobs() *Blobs { return &Blobs{p: p} }

// Put stores what r yields, at most max bytes (no limit when max <= 0), and returns its ref with
// Hash, Size, ContentType (sniffed from the content) and Kind. Past max it returns
// store.ErrTooLarge and stores nothing.
func (b *Blobs) Put(ctx context.Context, r io.Reader, max int64) (store.BlobRef, error) {
	if err := b.p.begin(); err != nil {
		return store.BlobRef{}, err
	}
	defer b.p.end()
	upload := newID()
	h := sha256.New()
	var (
		head []byte
		n    int64
		ref  store.BlobRef
	)
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	err := pgx.BeginFunc(ctx, b.p.pool, func(tx pgx.Tx) error {
		buf := make([]byte, chunkSize)
		for i := 0; ; i++ {
			k, rerr := io.ReadFull(src, buf)
			if k > 0 {
				chunk := buf[:k]
				n += int64(k)
				if max > 0 && n > max {
					return fmt.Errorf("postgres: blob over %d bytes: %w", max, store.ErrTooLarge)
				}
				h.Write(chunk)
				if len(head) < store.SniffLen {
					head = append(head, chunk[:min(len(chunk), store.SniffLen-len(head))]...)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (upload, n, data) VALUES ($1, $2, $3)`, upload, i, chunk); err != nil {
					return wrap(err, "write blob")
				}
			}
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				break
			}
			if rerr != nil {
				return fmt.Errorf("postgres: read blob: %w", rerr)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ct := store.SniffContentType(head)
		ref = store.BlobRef{Kind: store.KindOf(ct), Hash: hex.EncodeToString(h.Sum(nil)), ContentType: ct, Size: n}
		tag, err := tx.Exec(ctx, `INSERT INTO blobs (hash, upload, size, content_type) VALUES ($1, $2, $3, $4)
			ON CONFLICT (hash) DO NOTHING`, ref.Hash, upload, n, ct)
		if err != nil {
			return wrap(err, "store blob")
		}
		if tag.RowsAffected() == 0 {
			return errStored // the same content is stored already: drop these chunks
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStored) {
		return store.BlobRef{}, err
	}
	return ref, nil
}

// errStored rolls back a put whose content another put stored first.
var errStored = errors.New("blob stored already")

// Open returns the blob with the given hash, read chunk by chunk, or store.ErrNotFound.
func (b *Blobs) Open(ctx context.Context, hash string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !store.ValidHash(hash) {
		return nil, fmt.Errorf("postgres: blob %q: invalid hash: %w", hash, store.ErrNotFound)
	}
	if err := b.p.begin(); err != nil {
		return nil, err
	}
	defer b.p.end()
	var (
		upload string
		size   int64
	)
	err := b.p.pool.QueryRow(ctx, `SELECT upload, size FROM blobs WHERE hash = $1`, strings.ToLower(hash)).Scan(&upload, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: blob %s: %w", hash, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "open blob")
	}
	return &blobReader{ctx: ctx, b: b, upload: upload, left: size}, nil
}

// Delete removes the blob with the given hash and its chunks, or returns store.ErrNotFound.
func (b *Blobs) Delete(ctx context.Context, hash string) error {
	if !store.ValidHash(hash) {
		return fmt.Errorf("postgres: blob %q: invalid hash: %w", hash, store.ErrNotFound)
	}
	if err := b.p.begin(); err != nil {
		return err
	}
	defer b.p.end()
	return pgx.BeginFunc(ctx, b.p.pool, func(tx pgx.Tx) error {
		var upload string
		err := tx.QueryRow(ctx, `DELETE FROM blobs WHERE hash = $1 RETURNING upload`, strings.ToLower(hash)).Scan(&upload)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: blob %s: %w", hash, store.ErrNotFound)
		}
		if err != nil {
			return wrap(err, "delete blob")
		}
		_, err = tx.Exec(ctx, `DELETE FROM blob_chunks WHERE upload = $1`, upload)
		return wrap(err, "delete blob chunks")
	})
}

// blobReader reads a blob's chunks in order, one query per chunk.
type blobReader struct {
	ctx    context.Context
	b      *Blobs
	upload string
	next   int
	buf    []byte
	left   int64 // bytes not yet fetched
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.left <= 0 {
			return 0, io.EOF
		}
		if err := r.b.p.begin(); err != nil {
			return 0, err
		}
		err := r.b.p.pool.QueryRow(r.ctx, `SELECT data FROM blob_chunks WHERE upload = $1 AND n = $2`, r.upload, r.next).Scan(&r.buf)
		r.b.p.end()
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("postgres: blob chunk %d of upload %s is missing: %w", r.next, r.upload, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return 0, wrap(err, "read blob")
		}
		r.next++
		r.left -= int64(len(r.buf))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *blobReader) Close() error { return nil }
