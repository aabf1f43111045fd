package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/checkgen/specimen"
)

// TestGenSpecimens renders the fixed specimens (no random ones) and checks their truth lines:
// each image exists, and the blank specimen carries the sample routing number.
func TestGenSpecimens(t *testing.T) {
	if testing.Short() {
		t.Skip("renders with ImageMagick; skipped under -short")
	}
	if _, err := os.Stat(specimen.Convert); err != nil {
		t.Fatalf("ImageMagick is needed: %v", err)
	}
	dir := t.TempDir()
	if err := runGenSpecimens(context.Background(), []string{"--n", "0", "--out", dir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, blank := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var tr specimenTruth
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(filepath.Join(dir, tr.File)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", tr.File, err)
		}
		blank = blank || tr.Style == specimen.Blank && tr.Routing == "123456789" && tr.MICR != ""
		n++
	}
	if n != 4 || !blank {
		t.Errorf("%d truth lines (want 4: two specimens, scan and phone), blank specimen present %v", n, blank)
	}
}

// TestSummarizeMICR scores the MICR line apart from the fields, spaces aside.
func TestSummarizeMICR(t *testing.T) {
	truth, err := os.MkdirTemp(t.TempDir(), "t")
	if err != nil {
		t.Fatal(err)
	}
	line := `{"file":"a.png","micr":"T123456789T 000123456789U 1001","routing":"123456789"}` + "\n"
	if err := os.WriteFile(filepath.Join(truth, "truth.jsonl"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := readTruth(truth)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[0].Want["micr"]; got != "T123456789T 000123456789U 1001" {
		t.Fatalf("micr truth %q", got)
	}
	s := summarize([]evalResult{{truth: ts[0]}})
	if s.MICRLines != 1 || s.MICRExact != 0 {
		t.Errorf("unread check: %d lines, %.2f exact", s.MICRLines, s.MICRExact)
	}
}
