package micr

import (
	"os"
	"testing"
)

// TestCVShared cross-validates the learned reader by line on a shared line set when present.
func TestCVShared(t *testing.T) {
	dir := os.Getenv("MICR_CV")
	if dir == "" {
		t.Skip("set MICR_CV to a folder of NAME.tif + NAME.gt.txt")
	}
	ex, _, err := LoadDir(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := CrossValidate(ex, 5, TrainOptions{}, func(f int, st TrainStats) {
		t.Logf("fold %d: %d/%d lines labelled, %d glyphs %v", f, st.Used, st.Lines, st.Glyphs, st.PerClass)
	})
	ok := 0
	bad := 0
	for _, r := range res {
		if r.Got == r.Truth {
			ok++
		} else if bad++; bad <= 20 {
			t.Logf("%s want %s got %s %v", r.Name, r.Truth, r.Got, r.Err)
		}
	}
	t.Logf("%d/%d exact", ok, len(res))
}
