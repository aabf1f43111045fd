// Package silero runs the Silero voice activity model (v5/v6 ONNX, MIT) through ONNX Runtime, as a
// vad.Classifier for the streaming detector. The model comes from the npm package
// @ricky0123/vad-web and the runtime library from onnxruntime-node; Install fetches both pinned
// packages with `npm pack`, checks every file's sha256 and puts them in the model directory.
// Running the model needs cgo; without it Load says so.
package silero

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/nn"
)

// The pinned npm packages.
const (
	ModelPackage   = "@ricky0123/vad-web@0.0.31"
	RuntimePackage = "onnxruntime-node@1.30.0"
	// RuntimeVersion is the ONNX Runtime release the installed library must report.
	RuntimeVersion = "1.30.0"
)

// Model names the installed Silero versions.
const (
	V5 = "silero_vad_v5.onnx"
	V6 = "silero_vad_v6.onnx"
)

// ErrNotInstalled is returned by Load when the model or the runtime is missing or modified.
var ErrNotInstalled = errors.New("silero: model not installed (run `parley models install`)")

// File is one installed file: where it goes in the model directory, where it is in its npm
// tarball, and its sha256.
type File struct {
	Name    string // path under the model directory
	Package string // npm package@version
	Path    string // path inside the tarball
	SHA256  string
}

// Files lists everything Install puts in the model directory.
var Files = []File{
	{"silero/" + V5, ModelPackage, "package/dist/" + V5, "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"},
	{"silero/" + V6, ModelPackage, "package/dist/" + V6, "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"},
	{"onnxruntime/libonnxruntime.so.1", RuntimePackage, "package/bin/napi-v6/linux/x64/libonnxruntime.so.1", "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"},
}

// RuntimePath returns where the ONNX Runtime library is installed under dir.
func RuntimePath(dir string) string { return filepath.Join(dir, "onnxruntime", "libonnxruntime.so.1") }

// ModelPath returns where the named model version is installed under dir.
func ModelPath(dir, version string) string { return filepath.Join(dir, "silero", version) }

// Dir returns the default model directory ($PARLEY_MODELS or the user data dir), the same one the
// face models use.
func Dir() string { return nn.ModelDir() }

// Status is one file's state in a model directory.
type Status struct {
	File
	Err error // nil when present with the right checksum
}

// Verify checks every file of Files under dir.
func Verify(dir string) []Status {
	out := make([]Status, len(Files))
	for i, f := range Files {
		out[i] = Status{File: f, Err: checkFile(filepath.Join(dir, f.Name), f.SHA256)}
	}
	return out
}

// verifyFor checks the runtime and the named model under dir, for Load.
func verifyFor(dir, version string) error {
	var bad []string
	for _, st := range Verify(dir) {
		if st.Err != nil && (st.Name == "silero/"+version || strings.HasPrefix(st.Name, "onnxruntime/")) {
			bad = append(bad, st.Err.Error())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrNotInstalled, strings.Join(bad, "; "))
	}
	return nil
}
