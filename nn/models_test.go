package nn

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestModelFiles(t *testing.T) {
	files := ModelFiles()
	if len(files) != 10 {
		t.Fatalf("got %d pinned files, want 10", len(files))
	}
	want := []string{"blazeface", "blazeface-front", "emotion", "facemesh", "facemesh-detection-full"}
	got := Models()
	if len(got) != len(want) {
		t.Fatalf("models = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("models = %v, want %v", got, want)
		}
	}
}

func TestModelDirEnv(t *testing.T) {
	t.Setenv("PARLEY_MODELS", "/somewhere/models")
	if d := ModelDir(); d != "/somewhere/models" {
		t.Fatalf("ModelDir = %q", d)
	}
	t.Setenv("PARLEY_MODELS", "")
	if d := ModelDir(); filepath.Base(d) != "models" {
		t.Fatalf("ModelDir = %q", d)
	}
}

func TestVerifyMissing(t *testing.T) {
	dir := t.TempDir()
	for _, st := range Verify(dir) {
		if !errors.Is(st.Err, ErrModelMissing) {
			t.Fatalf("%s: err = %v, want ErrModelMissing", st.Name, st.Err)
		}
	}
	os.WriteFile(filepath.Join(dir, "emotion.json"), []byte("{}"), 0o644)
	if err := Installed(dir, "emotion"); !errors.Is(err, ErrModelMissing) {
		t.Fatalf("Installed with wrong checksum: %v", err)
	}
}

// TestExtractChecksum checks that a tarball whose files do not match the pinned checksums is
// refused and nothing is installed.
func TestExtractChecksum(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	files := ModelFiles()
	for _, f := range files {
		body := []byte("tampered " + f.Name)
		tw.WriteHeader(&tar.Header{Name: f.Path, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	dir := t.TempDir()
	tgz := filepath.Join(dir, "pkg.tgz")
	os.WriteFile(tgz, buf.Bytes(), 0o644)
	err := extract(tgz, dir, files)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("extract = %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(filepath.Join(dir, files[0].Name)); !os.IsNotExist(err) {
		t.Fatalf("a file failing its checksum was installed")
	}
	os.WriteFile(tgz, []byte("not gzip"), 0o644)
	if err := extract(tgz, dir, files); !errors.Is(err, ErrChecksum) {
		t.Fatalf("extract of garbage = %v", err)
	}
}
