package silero

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

// ErrChecksum is returned when a file does not match its pinned sha256.
var ErrChecksum = errors.New("silero: checksum mismatch")

// Install makes sure every file of Files is in dir with its checksum. Missing files are taken from
// their npm tarballs, fetched once with `npm pack` into cache (default the user cache dir +
// /parley/npm); nothing is fetched when all files verify.
func Install(ctx context.Context, dir, cache string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	byPkg := map[string][]File{}
	var order []string
	for _, st := range Verify(dir) {
		if st.Err == nil {
			continue
		}
		if _, ok := byPkg[st.Package]; !ok {
			order = append(order, st.Package)
		}
		byPkg[st.Package] = append(byPkg[st.Package], st.File)
	}
	if len(order) == 0 {
		fmt.Fprintf(log, "Silero VAD and ONNX Runtime in %s are installed and verified\n", dir)
		return nil
	}
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = filepath.Join(dir, ".cache")
		}
		cache = filepath.Join(base, "parley", "npm")
	}
	for _, pkg := range order {
		tgz, err := fetch(ctx, cache, pkg, log)
		if err != nil {
			return err
		}
		if err := extract(tgz, dir, byPkg[pkg]); err != nil {
			if errors.Is(err, ErrChecksum) {
				os.Remove(tgz) // a corrupt cached tarball is fetched again next time
			}
			return err
		}
		for _, f := range byPkg[pkg] {
			fmt.Fprintf(log, "installed %s (sha256 %s…)\n", filepath.Join(dir, f.Name), f.SHA256[:12])
		}
	}
	return nil
}

// tarball returns the file name `npm pack` writes for pkg ("@scope/name@1.0" -> scope-name-1.0.tgz).
func tarball(pkg string) string {
	p := strings.TrimPrefix(pkg, "@")
	at := strings.LastIndex(p, "@")
	return strings.ReplaceAll(p[:at], "/", "-") + "-" + p[at+1:] + ".tgz"
}

func fetch(ctx context.Context, cache, pkg string, log io.Writer) (string, error) {
	tgz := filepath.Join(cache, tarball(pkg))
	if _, err := os.Stat(tgz); err == nil {
		return tgz, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("silero: npm is needed to fetch %s (install Node.js, or put %s in %s): %w", pkg, tarball(pkg), cache, err)
	}
	fmt.Fprintf(log, "fetching %s with npm pack into %s\n", pkg, cache)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", cache, pkg)
	cmd.Dir = cache
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("silero: npm pack %s: %v: %s", pkg, err, strings.TrimSpace(string(out)))
	}
	if _, err := os.Stat(tgz); err != nil {
		return "", fmt.Errorf("silero: npm pack did not write %s: %w", tgz, err)
	}
	return tgz, nil
}

// extract copies want out of the tarball, verifying each checksum before it is put in place.
func extract(tgz, dir string, want []File) error {
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
		if err := writeVerified(tr, filepath.Join(dir, m.Name), m.SHA256); err != nil {
			return err
		}
		delete(byPath, h.Name)
	}
	for p := range byPath {
		return fmt.Errorf("%w: %s has no %s", ErrChecksum, tgz, p)
	}
	return nil
}

func writeVerified(r io.Reader, path, sum string) error {
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

func checkFile(path, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, path, got, sum)
	}
	return nil
}
