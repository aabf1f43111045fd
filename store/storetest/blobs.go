package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/store"
)

// RunBlobs runs the store.Blobs conformance suite. open follows the same contract as in Run: calls
// with the same test return blob stores over the same data.
func RunBlobs(t *testing.T, open func(t *testing.T) store.Blobs) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Blobs)
	}{
		{"PutOpen", testPutOpen},
		{"Dedupe", testDedupe},
		{"TooLarge", testTooLarge},
		{"BadHash", testBadHash},
		{"ReaderError", testReaderError},
		{"Concurrent", testConcurrentPuts},
		{"ReopenKeepsData", testBlobsReopen},
		{"Delete", testDelete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// pngHeader is the start of a PNG file, enough for content sniffing.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

func readBlob(t *testing.T, b store.Blobs, hash string) []byte {
	t.Helper()
	rc, err := b.Open(context.Background(), hash)
	if err != nil {
		t.Fatalf("Open(%s): %v", hash, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", hash, err)
	}
	return data
}

func testPutOpen(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	tests := []struct {
		name string
		data []byte
		kind string
	}{
		{"empty", nil, ""},
		{"text", []byte("hello, blob"), ""},
		{"png", append(append([]byte{}, pngHeader...), bytes.Repeat([]byte{7}, 3000)...), "image"},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := b.Put(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data))+1)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if ref.Hash != sum(tc.data) || ref.Size != int64(len(tc.data)) {
				t.Errorf("ref = %s/%d, want %s/%d", ref.Hash, ref.Size, sum(tc.data), len(tc.data))
			}
			if tc.kind == "image" && (ref.ContentType != "image/png" || ref.Kind != "image") {
				t.Errorf("ref content type/kind = %q/%q, want image/png/image", ref.ContentType, ref.Kind)
			}
			if got := readBlob(t, b, ref.Hash); !bytes.Equal(got, tc.data) {
				t.Errorf("Open returned %d bytes that differ from the %d put", len(got), len(tc.data))
			}
		})
	}
	missing := sum([]byte("never stored"))
	if _, err := b.Open(context.Background(), missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
}

func testDedupe(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	data := []byte("same bytes twice")
	r1, err := b.Put(context.Background(), bytes.NewReader(data), 100)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.Put(context.Background(), bytes.NewReader(data), 100)
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 {
		t.Errorf("same content gave refs %+v and %+v", r1, r2)
	}
	if got := readBlob(t, b, r1.Hash); !bytes.Equal(got, data) {
		t.Errorf("got %q, want %q", got, data)
	}
}

func testTooLarge(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	data := bytes.Repeat([]byte("x"), 1000)
	if _, err := b.Put(context.Background(), bytes.NewReader(data), 999); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("Put of 1000 bytes with max 999 = %v, want ErrTooLarge", err)
	}
	if _, err := b.Open(context.Background(), sum(data)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a blob refused as too large can be opened (err %v)", err)
	}
	// Exactly max is allowed.
	ref, err := b.Put(context.Background(), bytes.NewReader(data), 1000)
	if err != nil || ref.Size != 1000 {
		t.Fatalf("Put of exactly max = %+v, %v", ref, err)
	}
	// The limit holds for a reader that never ends.
	if _, err := b.Put(context.Background(), endless{}, 1<<20); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("Put of an endless reader = %v, want ErrTooLarge", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}

func testBadHash(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	ref, err := b.Put(context.Background(), strings.NewReader("secret"), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{
		"", "abc", "../../../../etc/passwd", ref.Hash[:2] + "/" + ref.Hash[3:],
		"../" + ref.Hash[3:], strings.Repeat("g", 64), ref.Hash + "0", ref.Hash[:63] + "/",
		"/" + ref.Hash[1:], ref.Hash[:10] + "\x00" + ref.Hash[11:],
	} {
		if rc, err := b.Open(context.Background(), h); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded", h)
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want an error wrapping ErrNotFound", h, err)
		}
	}
}

// failingReader yields some bytes and then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(f.n, len(p))
	f.n -= n
	return n, nil
}

func testReaderError(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	if _, err := b.Put(context.Background(), &failingReader{n: 100}, 1000); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Put(ctx, strings.NewReader("late"), 100); err == nil {
		t.Error("Put with a canceled context succeeded")
	}
}

func testConcurrentPuts(t *testing.T, open func(t *testing.T) store.Blobs) {
	b := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Go(func() {
			data := []byte(fmt.Sprint("blob ", i%4)) // four distinct contents, each put eight times
			ref, err := b.Put(context.Background(), bytes.NewReader(data), 100)
			if err != nil {
				errs <- err
				return
			}
			if ref.Hash != sum(data) {
				errs <- fmt.Errorf("hash %s, want %s", ref.Hash, sum(data))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 4 {
		data := []byte(fmt.Sprint("blob ", i))
		if got := readBlob(t, b, sum(data)); !bytes.Equal(got, data) {
			t.Errorf("blob %d = %q, want %q", i, got, data)
		}
	}
}

func testBlobsReopen(t *testing.T, open func(t *testing.T) store.Blobs) {
	data := []byte("kept across restarts")
	ref, err := open(t).Put(context.Background(), bytes.NewReader(data), 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, open(t), ref.Hash); !bytes.Equal(got, data) {
		t.Errorf("after reopen got %q, want %q", got, data)
	}
}

func testDelete(t *testing.T, open func(t *testing.T) store.Blobs) {
	ctx := context.Background()
	b := open(t)
	keep, err := b.Put(ctx, strings.NewReader("kept"), 100)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := b.Put(ctx, strings.NewReader(strings.Repeat("deleted ", 1<<17)), 1<<21)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, gone.Hash); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Open(ctx, gone.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Open after Delete = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, gone.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete twice = %v, want ErrNotFound", err)
	}
	if got := readBlob(t, b, keep.Hash); string(got) != "kept" {
		t.Fatalf("the other blob reads %q", got)
	}
	// The same content can be stored again after a delete.
	again, err := b.Put(ctx, strings.NewReader(strings.Repeat("deleted ", 1<<17)), 1<<21)
	if err != nil || again.Hash != gone.Hash {
		t.Fatalf("Put after Delete: %v, %v", again, err)
	}
	if got := readBlob(t, b, again.Hash); len(got) != 8<<17 {
		t.Fatalf("re-stored blob has %d bytes", len(got))
	}
}
