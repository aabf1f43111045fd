package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parleyhq/parley/nlu"
)

func init() {
	Register(&Command{
		Name:    "eval intents",
		Summary: "measure the intent classifier on a labelled CSV (held-out test file or k folds)",
		Run:     runEvalIntents,
	})
}

func runEvalIntents(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("eval intents", out)
	trainPath := fs.String("train", "", "training CSV with a header: a text column and an intent or category column")
	testPath := fs.String("test", "", "test CSV in the same format (default: cross-validate the training file)")
	folds := fs.Int("folds", 5, "number of cross-validation folds when --test is not given")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	if *trainPath == "" {
		return fmt.Errorf("%w: --train FILE.csv is required", ErrUsage)
	}
	train, err := readExamples(*trainPath)
	if err != nil {
		return err
	}
	var (
		m    nlu.Metrics
		test []nlu.Example
	)
	if *testPath != "" {
		if test, err = readExamples(*testPath); err != nil {
			return err
		}
	}
	// Out-of-scope rejection is part of the task only when the data marks out-of-scope examples;
	// on closed-set data (every example has an intent) it could only turn right answers wrong.
	opts := nlu.Options{}
	if !hasOOS(train) && !hasOOS(test) {
		opts.Threshold = -1
		fmt.Fprintln(out, "no out-of-scope examples: closed-set evaluation, out-of-scope rejection off")
	}
	if *testPath != "" {
		t0 := time.Now()
		c, err := nlu.TrainWith(train, opts)
		if err != nil {
			return err
		}
		trainTime := time.Since(t0)
		if err := ctx.Err(); err != nil {
			return err
		}
		m = nlu.Evaluate(c, test)
		m.TrainTime = trainTime
		fmt.Fprintf(out, "train: %d examples, test: %d examples\n", len(train), len(test))
	} else {
		if *folds < 2 {
			return fmt.Errorf("%w: --folds must be at least 2", ErrUsage)
		}
		m, err = nlu.CrossValidate(train, *folds, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "examples: %d, %d-fold cross-validation\n", len(train), *folds)
	}
	fmt.Fprintf(out, "accuracy:            %.2f%%\n", 100*m.Accuracy)
	fmt.Fprintf(out, "macro-F1:            %.2f%%\n", 100*m.MacroF1)
	if m.HasOOS {
		fmt.Fprintf(out, "in-scope accuracy:   %.2f%%\n", 100*m.InScopeAccuracy)
		fmt.Fprintf(out, "out-of-scope recall: %.2f%%\n", 100*m.OOSRecall)
	}
	fmt.Fprintf(out, "training time:       %s\n", m.TrainTime.Round(time.Millisecond))
	fmt.Fprintf(out, "latency:             mean %s, p99 %s\n", m.MeanLatency.Round(100*time.Nanosecond), m.P99Latency.Round(100*time.Nanosecond))
	fmt.Fprintf(out, "throughput:          %.0f classifications/s\n", m.PerSecond)
	return nil
}

func readExamples(path string) ([]nlu.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := nlu.ReadExamplesCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

func hasOOS(ex []nlu.Example) bool {
	for _, e := range ex {
		if e.Label == nlu.OOS {
			return true
		}
	}
	return false
}
