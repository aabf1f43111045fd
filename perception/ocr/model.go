package ocr

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
	"sync"

	"github.com/parleyhq/parley/nn"
)

// The English model the check fields are read with: tessdata_best's eng, in its integer form,
// from the npm package EngPackage (Apache-2.0 data). On generated checks it reads more fields
// right than Debian's tesseract-ocr-eng (see bench/checks); Debian's is used when it is not
// installed.
const (
	EngPackage = "@tesseract.js-data/eng@1.0.0"
	// EngPackageSHA256 is the checksum of the tarball `npm pack` writes.
	EngPackageSHA256 = "c9bddf2e2f0a214ac7918f3f4a3caf45e09ce8674fe26662ae7787ac8927f7bb"
	// EngPath is the gzipped model inside the tarball.
	EngPath = "package/4.0.0_best_int/eng.traineddata.gz"
	// EngSHA256 is the checksum of the unpacked eng.traineddata.
	EngSHA256 = "5dc5d8d640a212c9d6184921ba103b186f50e0fed9ee716c53e6b312b400d747"
)

// ErrModelChecksum means a fetched or installed model file does not match its pinned checksum.
var ErrModelChecksum = errors.New("ocr: model checksum mismatch")

// TessdataDir is the folder holding the installed eng model under the model directory dir.
func TessdataDir(dir string) string { return filepath.Join(dir, "tessdata") }

var (
	engOnce sync.Once
	engDir  string
)

// engPrefix returns the tessdata folder of the pinned model when it is installed in the
// project's model directory (nn.ModelDir) and verifies, or "" for the system's.
// PARLEY_TESSDATA=system forces the system's model.
func engPrefix() string {
	engOnce.Do(func() {
		if os.Getenv("PARLEY_TESSDATA") == "system" {
			return
		}
		d := TessdataDir(nn.ModelDir())
		if VerifyEng(d) == nil {
			engDir = d
		}
	})
	return engDir
}

// VerifyEng checks the eng model in a tessdata folder against EngSHA256.
func VerifyEng(tessdata string) error {
	f, err := os.Open(filepath.Join(tessdata, "eng.traineddata"))
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != EngSHA256 {
		return fmt.Errorf("%w: eng.traineddata is %s", ErrModelChecksum, got[:12])
	}
	return nil
}

// InstallEng fetches EngPackage with npm pack into cache (once), verifies it and writes the
// model to TessdataDir(dir), verified.
func InstallEng(ctx context.Context, dir, cache string, log io.Writer) error {
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "parley-cache")
	}
	td := TessdataDir(dir)
	if VerifyEng(td) == nil {
		fmt.Fprintf(log, "%s/eng.traineddata verifies (sha256 %s…)\n", td, EngSHA256[:12])
		return nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	tgz := filepath.Join(cache, "tesseract.js-data-eng-1.0.0.tgz")
	if _, err := os.Stat(tgz); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return fmt.Errorf("ocr: npm is needed to fetch %s: %w", EngPackage, err)
		}
		fmt.Fprintf(log, "fetching %s with npm pack into %s\n", EngPackage, cache)
		cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", cache, EngPackage)
		cmd.Dir = cache
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ocr: npm pack %s: %v: %s", EngPackage, err, strings.TrimSpace(string(out)))
		}
	}
	if err := checkFile(tgz, EngPackageSHA256); err != nil {
		return err
	}
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrModelChecksum, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return fmt.Errorf("ocr: %s not in %s: %v", EngPath, tgz, err)
		}
		if h.Name != EngPath {
			continue
		}
		gz, err := gzip.NewReader(tr)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrModelChecksum, err)
		}
		if err := os.MkdirAll(td, 0o755); err != nil {
			return err
		}
		tmp := filepath.Join(td, "eng.traineddata.part")
		out, err := os.Create(tmp)
		if err != nil {
			return err
		}
		hash := sha256.New()
		_, err = io.Copy(io.MultiWriter(out, hash), gz)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return err
		}
		if got := hex.EncodeToString(hash.Sum(nil)); got != EngSHA256 {
			os.Remove(tmp)
			return fmt.Errorf("%w: unpacked eng.traineddata is %s", ErrModelChecksum, got[:12])
		}
		if err := os.Rename(tmp, filepath.Join(td, "eng.traineddata")); err != nil {
			return err
		}
		fmt.Fprintf(log, "installed %s/eng.traineddata (sha256 %s…)\n", td, EngSHA256[:12])
		return nil
	}
}

func checkFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s is %s", ErrModelChecksum, filepath.Base(path), got[:12])
	}
	return nil
}
