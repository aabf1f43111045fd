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
		Summary: "measure face expression reading on a folder of labelled faces (DIR/<expression>/*.jpg); --crops for already-cropped faces",
		Run:     runEvalFaces,
	})
}

func runEvalFaces(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval faces", out)
	models := fs.String("models", nn.ModelDir(), "model directory (env PARLEY_MODELS)")
	crop := fs.Float64("crop", 0, "expression crop side relative to the detected box (default 1.4)")
	crops := fs.Bool("crops", false, "the images are face crops: read each whole image, no detector (and report the detector mode too)")
	resize := fs.String("resize", "", "crop to 64x64 method: direct (bilinear; default), human (@vladmandic/human's tfjs steps) or fer (48x48 area average, then bilinear)")
	noAlign := fs.Bool("no-align", false, "do not level the eyes of the expression crop")
	noClamp := fs.Bool("no-clamp", false, "let the expression crop reach past the image's edges")
	noPad := fs.Bool("no-pad", false, "no second detection pass with a margin around tight images")
	fullRange := fs.Bool("full-range", false, "also try the full-range detector when the front model finds no face")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one DIR with a sub-folder per expression (angry, disgust, fear, happy, sad, surprise, neutral)", ErrUsage)
	}
	a, err := face.NewAnalyzer(*models, face.Options{CropScale: *crop, Resize: face.Resize(*resize), NoAlign: *noAlign, NoClamp: *noClamp, NoPad: *noPad, FullRange: *fullRange})
	if err != nil {
		return err
	}
	modes := []func(context.Context, *face.Analyzer, string) (*face.EvalReport, error){face.Evaluate}
	if *crops {
		modes = []func(context.Context, *face.Analyzer, string) (*face.EvalReport, error){face.EvaluateCrops, face.Evaluate}
	}
	for i, eval := range modes {
		if i > 0 {
			fmt.Fprintln(out)
		}
		t0 := time.Now()
		rep, err := eval(ctx, a, pos[0])
		if err != nil {
			return err
		}
		rep.Print(out)
		fmt.Fprintf(out, "images: %d in %s\n", rep.Images(), time.Since(t0).Round(time.Millisecond))
	}
	return nil
}
