// Command intents cross-validates the nlu intent classifier on a labelled CSV with chosen
// options; it is for tuning, `parley eval intents` is the user-facing command.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/parleyhq/parley/nlu"
)

func main() {
	path := flag.String("train", "", "training CSV")
	folds := flag.Int("folds", 5, "folds")
	maxFolds := flag.Int("run", 0, "stop after this many folds (0: all)")
	var o nlu.Options
	flag.Float64Var(&o.C, "c", 0, "SVM C")
	flag.IntVar(&o.MinN, "minn", 0, "min char n")
	flag.IntVar(&o.MaxN, "maxn", 0, "max char n")
	flag.Float64Var(&o.Threshold, "thres", 0, "OOS threshold (0 auto, <0 off)")
	flag.IntVar(&o.Folds, "cal", 0, "calibration folds")
	sweep := flag.Bool("sweep", false, "print in-scope accuracy and OOS recall against the threshold")
	flag.Parse()
	f, err := os.Open(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ex, err := nlu.ReadExamplesCSV(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *sweep {
		sweepThreshold(ex, *folds, *maxFolds, o)
		return
	}
	m, err := nlu.CrossValidateN(ex, *folds, *maxFolds, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("acc %.4f f1 %.4f in %.4f oos %.4f train %s mean %s p99 %s\n", m.Accuracy, m.MacroF1, m.InScopeAccuracy, m.OOSRecall, m.TrainTime, m.MeanLatency, m.P99Latency)
}

func sweepThreshold(ex []nlu.Example, k, runs int, o nlu.Options) {
	if runs <= 0 {
		runs = k
	}
	o.Threshold = -1
	perm := rand.New(rand.NewPCG(42, 42)).Perm(len(ex))
	var rs []nlu.Result
	var test []nlu.Example
	var auto []float64
	for f := range runs {
		var tr, te []nlu.Example
		for i, p := range perm {
			if i%k == f {
				te = append(te, ex[p])
			} else {
				tr = append(tr, ex[p])
			}
		}
		oa := o
		oa.Threshold = 0
		ca, _ := nlu.TrainWith(tr, oa)
		auto = append(auto, ca.Threshold())
		c, _ := nlu.TrainWith(tr, o)
		for _, e := range te {
			rs = append(rs, c.Classify(e.Text))
		}
		test = append(test, te...)
	}
	fmt.Println("auto thresholds", auto)
	for _, th := range []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9} {
		pred := make([]string, len(rs))
		for i, r := range rs {
			pred[i] = r.Label
			if r.Label != nlu.OOS && r.Top[0].Score < th {
				pred[i] = nlu.OOS
			}
		}
		m := nlu.Score(test, pred)
		fmt.Printf("th %.2f acc %.4f in %.4f oos %.4f\n", th, m.Accuracy, m.InScopeAccuracy, m.OOSRecall)
	}
}
