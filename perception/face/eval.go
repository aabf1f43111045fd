package face

import (
	"context"
	"fmt"
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

// EvalReport is the result of Evaluate.
type EvalReport struct {
	Classes []ClassResult
	// Frustration counts, with frustrated = angry, disgust or sad, for truth and prediction.
	TP, FP, FN, TN int
}

// Accuracy is the overall share of correct predictions.
func (r *EvalReport) Accuracy() float64 {
	var n, ok int
	for _, c := range r.Classes {
		n += c.Images
		ok += c.Correct
	}
	if n == 0 {
		return 0
	}
	return float64(ok) / float64(n)
}

// Precision and Recall of the frustration decision; -1 when undefined.
func (r *EvalReport) Precision() float64 { return ratio(r.TP, r.TP+r.FP) }

// Recall of the frustration decision; -1 when undefined.
func (r *EvalReport) Recall() float64 { return ratio(r.TP, r.TP+r.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// Evaluate reads every image under dir/<class>/ (class = an expression name) with a and compares
// the dominant expression of the largest face with the label.
func Evaluate(ctx context.Context, a *Analyzer, dir string) (*EvalReport, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, e := range Expressions {
		known[e] = true
	}
	rep := &EvalReport{}
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
			a.Reset()
			faces := a.AnalyzeAll(img)
			cr.Images++
			pred := "none"
			if len(faces) > 0 {
				pred, _ = faces[0].Dominant()
			} else {
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

// Print writes the report as a table.
func (r *EvalReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%-10s %7s %9s %7s  predictions\n", "class", "images", "accuracy", "noface")
	for _, c := range r.Classes {
		var preds []string
		for p, n := range c.Predicted {
			preds = append(preds, fmt.Sprintf("%s:%d", p, n))
		}
		sort.Strings(preds)
		fmt.Fprintf(w, "%-10s %7d %8.1f%% %7d  %s\n", c.Class, c.Images, 100*c.Accuracy(), c.NoFace, strings.Join(preds, " "))
	}
	fmt.Fprintf(w, "overall accuracy: %.1f%%\n", 100*r.Accuracy())
	pct := func(v float64) string {
		if v < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	fmt.Fprintf(w, "frustration (angry|disgust|sad): precision %s, recall %s (tp %d, fp %d, fn %d, tn %d)\n",
		pct(r.Precision()), pct(r.Recall()), r.TP, r.FP, r.FN, r.TN)
}
