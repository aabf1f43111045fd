package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/face"
)

func init() {
	Register(&Command{
		Name:    "eval faces",
		Summary: "measure face expression reading on a folder of labelled faces (DIR/<expression>/*.jpg)",
		Run:     runEvalFaces,
	})
}

func runEvalFaces(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval faces", out)
	models := fs.String("models", nn.ModelDir(), "model directory (env PARLEY_MODELS)")
	crop := fs.Float64("crop", 0, "expression crop side relative to the detected box (default 1.4)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one DIR with a sub-folder per expression (angry, disgust, fear, happy, sad, surprise, neutral)", ErrUsage)
	}
	a, err := face.NewAnalyzer(*models, face.Options{CropScale: *crop})
	if err != nil {
		return err
	}
	t0 := time.Now()
	rep, err := face.Evaluate(ctx, a, pos[0])
	if err != nil {
		return err
	}
	rep.Print(out)
	n := 0
	for _, c := range rep.Classes {
		n += c.Images
	}
	fmt.Fprintf(out, "images: %d in %s\n", n, time.Since(t0).Round(time.Millisecond))
	return nil
}
