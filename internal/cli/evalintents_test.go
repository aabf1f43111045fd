package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIntentsCSV generates a small labelled set: each intent has its own vocabulary, phrased
// with shared carrier words, plus out-of-scope rows when oos is set.
func writeIntentsCSV(t *testing.T, name string, oos bool, seed int) string {
	t.Helper()
	intents := map[string][]string{
		"check_balance": {"balance", "money left", "funds available", "how much money"},
		"lost_card":     {"lost my card", "stolen card", "card is missing", "block my card"},
		"pay_bill":      {"pay my bill", "bill payment", "settle the invoice", "pay the electricity bill"},
		"open_account":  {"open an account", "new savings account", "start a checking account", "sign up for an account"},
	}
	carriers := []string{"i want to %s", "please help, %s", "can you %s now", "%s please", "i need to know about %s", "hey, %s"}
	var b strings.Builder
	b.WriteString("text,intent\n")
	for label, phrases := range intents {
		for i, p := range phrases {
			for j, c := range carriers {
				if (i+j+seed)%2 == 0 {
					fmt.Fprintf(&b, "%q,%s\n", fmt.Sprintf(c, p), label)
				}
			}
		}
	}
	if oos {
		for _, s := range []string{"what is the weather", "tell me a joke", "who won the football game", "play a song", "how tall is everest", "what time is it in tokyo"} {
			fmt.Fprintf(&b, "%q,oos\n", s)
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvalIntents(t *testing.T) {
	train := writeIntentsCSV(t, "train.csv", true, 0)
	test := writeIntentsCSV(t, "test.csv", true, 1)
	closed := writeIntentsCSV(t, "closed.csv", false, 0)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"test file", []string{"--train", train, "--test", test}, []string{"accuracy:", "macro-F1:", "in-scope accuracy:", "out-of-scope recall:", "training time:", "latency:", "classifications/s"}},
		{"folds", []string{"--train", train, "--folds", "3"}, []string{"3-fold", "out-of-scope recall:"}},
		{"closed set", []string{"--train", closed, "--folds", "2"}, []string{"closed-set", "accuracy:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runEvalIntents(context.Background(), tc.args, &out); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "accuracy:            0.00%") {
				t.Errorf("zero accuracy:\n%s", out.String())
			}
		})
	}
}

func TestEvalIntentsErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("text,foo\nhi,there\n"), 0o644)
	cases := []struct {
		name  string
		args  []string
		usage bool
	}{
		{"no train", nil, true},
		{"one fold", []string{"--train", bad, "--folds", "1"}, false},
		{"missing file", []string{"--train", filepath.Join(t.TempDir(), "none.csv")}, false},
		{"bad header", []string{"--train", bad}, false},
		{"stray argument", []string{"--train", bad, "extra"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := runEvalIntents(context.Background(), tc.args, new(bytes.Buffer))
			if err == nil || errors.Is(err, ErrUsage) != tc.usage {
				t.Errorf("err = %v, usage %v", err, tc.usage)
			}
		})
	}
}
