package face

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parleyhq/parley/media"
)

// Frustrated reports whether an expression counts towards frustration.
func Frustrated(expression string) bool {
	return expression == "angry" || expression == "disgust" || expression == "sad"
}

// ClassResult is the evaluation of one labelled class.
type ClassResult struct {
	Class   string
	Images  int
	Correct int
	NoFace  int
	// Predicted counts the predicted expressions ("none" when no face was found).
	Predicted map[string]int
}

// Accuracy is the share of images of the class whose dominant expression matched.
func (c ClassResult) Accuracy() float64 {
	if c.Images == 0 {
		return 0
	}
	return float64(c.Correct) / float64(c.Images)
}

// EvalReport is the result of Evaluate or EvaluateCrops.
type EvalReport struct {
	// Mode is "detector" (faces found by BlazeFace) or "crops" (each image is a face crop).
	Mode    string
	Classes []ClassResult
	// Frustration counts, with frustrated = angry, disgust or sad, for truth and prediction. An
	// image without a face counts as a prediction of not frustrated.
	TP, FP, FN, TN int
}

// Images is the number of images read.
func (r *EvalReport) Images() int {
	n := 0
	for _, c := range r.Classes {
		n += c.Images
	}
	return n
}

// Accuracy is the overall share of correct predictions.
func (r *EvalReport) Accuracy() float64 {
	var ok int
	for _, c := range r.Classes {
		ok += c.Correct
	}
	if n := r.Images(); n > 0 {
		return float64(ok) / float64(n)
	}
	return 0
}

// NoFaceRate is the share of images in which no face was found (always 0 for crops).
func (r *EvalReport) NoFaceRate() float64 {
	var none int
	for _, c := range r.Classes {
		none += c.NoFace
	}
	if n := r.Images(); n > 0 {
		return float64(none) / float64(n)
	}
	return 0
}

// Precision of the frustration decision; -1 when undefined.
func (r *EvalReport) Precision() float64 { return ratio(r.TP, r.TP+r.FP) }

// Recall of the frustration decision; -1 when undefined.
func (r *EvalReport) Recall() float64 { return ratio(r.TP, r.TP+r.FN) }

// F1 of the frustration decision; -1 when undefined (no frustrated image and none predicted).
func (r *EvalReport) F1() float64 { return ratio(2*r.TP, 2*r.TP+r.FP+r.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// Evaluate reads every image under dir/<class>/ (class = an expression name) with a and compares
// the dominant expression of the largest face BlazeFace finds with the label.
func Evaluate(ctx context.Context, a *Analyzer, dir string) (*EvalReport, error) {
	return evaluate(ctx, dir, "detector", func(img image.Image) (string, bool) {
		a.Reset()
		faces := a.AnalyzeAll(img)
		if len(faces) == 0 {
			return "", false
		}
		name, _ := faces[0].Dominant()
		return name, true
	})
}

// EvaluateCrops is Evaluate for folders of faces already cropped (as expression data sets are):
// no detection, the whole image is the expression model's input.
func EvaluateCrops(ctx context.Context, a *Analyzer, dir string) (*EvalReport, error) {
	return evaluate(ctx, dir, "crops", func(img image.Image) (string, bool) {
		f := Face{Expression: a.ExpressionCrop(img)}
		name, _ := f.Dominant()
		return name, true
	})
}

func evaluate(ctx context.Context, dir, mode string, predict func(image.Image) (string, bool)) (*EvalReport, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, e := range Expressions {
		known[e] = true
	}
	rep := &EvalReport{Mode: mode}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		class := strings.ToLower(e.Name())
		if !known[class] {
			return nil, fmt.Errorf("face: class folder %q is not one of %v", e.Name(), Expressions)
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		cr := ClassResult{Class: class, Predicted: map[string]int{}}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name(), f.Name()))
			if err != nil {
				return nil, err
			}
			img, _, err := media.DecodeImage(data, media.DefaultLimits().MaxPixels)
			if err != nil {
				continue // not an image
			}
			cr.Images++
			pred, found := predict(img)
			if !found {
				pred = "none"
				cr.NoFace++
			}
			cr.Predicted[pred]++
			if pred == class {
				cr.Correct++
			}
			switch t, p := Frustrated(class), Frustrated(pred); {
			case t && p:
				rep.TP++
			case !t && p:
				rep.FP++
			case t && !p:
				rep.FN++
			default:
				rep.TN++
			}
		}
		if cr.Images > 0 {
			rep.Classes = append(rep.Classes, cr)
		}
	}
	if len(rep.Classes) == 0 {
		return nil, fmt.Errorf("face: no labelled images under %s (want class folders such as happy/, sad/)", dir)
	}
	sort.Slice(rep.Classes, func(i, j int) bool { return rep.Classes[i].Class < rep.Classes[j].Class })
	return rep, nil
}

// Print writes the report: per-class accuracy, the confusion matrix (rows the true class, columns
// the prediction), the no-face rate and the frustrated-vs-not scores.
func (r *EvalReport) Print(w io.Writer) {
	fmt.Fprintf(w, "mode: %s\n", r.Mode)
	fmt.Fprintf(w, "%-10s %7s %9s %7s\n", "class", "images", "accuracy", "noface")
	for _, c := range r.Classes {
		fmt.Fprintf(w, "%-10s %7d %8.1f%% %7d\n", c.Class, c.Images, 100*c.Accuracy(), c.NoFace)
	}
	fmt.Fprintf(w, "overall accuracy: %.1f%% of %d images\n", 100*r.Accuracy(), r.Images())
	fmt.Fprintf(w, "confusion matrix (rows: truth, columns: prediction)\n%-10s", "")
	cols := append(Expressions[:], "none")
	for _, p := range cols {
		fmt.Fprintf(w, " %8s", p)
	}
	fmt.Fprintln(w)
	for _, c := range r.Classes {
		fmt.Fprintf(w, "%-10s", c.Class)
		for _, p := range cols {
			fmt.Fprintf(w, " %8d", c.Predicted[p])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "no-face rate: %.1f%%\n", 100*r.NoFaceRate())
	pct := func(v float64) string {
		if v < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	f1 := "n/a"
	if v := r.F1(); v >= 0 {
		f1 = fmt.Sprintf("%.2f", v)
	}
	fmt.Fprintf(w, "frustrated (angry|disgust|sad) vs not: precision %s, recall %s, F1 %s (tp %d, fp %d, fn %d, tn %d)\n",
		pct(r.Precision()), pct(r.Recall()), f1, r.TP, r.FP, r.FN, r.TN)
}
