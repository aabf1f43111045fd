package face

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	a := analyzer(t)
	dir := t.TempDir()
	for class, file := range map[string]string{"happy": "smiling.jpg", "sad": "neutral.jpg"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, class, file), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "happy", "notes.txt"), []byte("not an image"), 0o644)
	rep, err := Evaluate(context.Background(), a, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Classes) != 2 || rep.Classes[0].Class != "happy" || rep.Classes[0].Images != 1 || rep.Classes[0].Correct != 1 {
		t.Fatalf("classes %+v", rep.Classes)
	}
	if rep.TP+rep.FN != 1 || rep.TN+rep.FP != 1 {
		t.Fatalf("frustration counts %+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "happy") || !strings.Contains(out.String(), "recall") {
		t.Fatalf("report:\n%s", out.String())
	}
	os.MkdirAll(filepath.Join(dir, "bored"), 0o755)
	if _, err := Evaluate(context.Background(), a, dir); err == nil {
		t.Fatal("accepted an unknown class folder")
	}
}
