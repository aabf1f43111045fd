package micr

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDevCV cross-validates the learned reader by line on a folder of real lines (MICR_CV),
// scoring only the first MICR_FOLDS_RUN of MICR_FOLDS folds, to measure a change quickly. The
// figures split the lines read wrong by whether the character count came out right.
func TestDevCV(t *testing.T) {
	dir := os.Getenv("MICR_CV")
	if dir == "" {
		t.Skip("set MICR_CV to a folder of NAME.tif + NAME.gt.txt")
	}
	k := envInt("MICR_FOLDS", 5)
	run := envInt("MICR_FOLDS_RUN", k)
	ex, _, err := LoadDir(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	extra := RenderedExamples(envInt("MICR_RENDERED", 400), 7)
	if sd := os.Getenv("MICR_SYNTH"); sd != "" {
		syn, _, err := LoadDir(sd, envInt("MICR_SYNTH_EVERY", 3))
		if err != nil {
			t.Fatal(err)
		}
		for i := range syn {
			syn[i].Strict = true
		}
		extra = append(extra, syn...)
	}
	rejectNegatives = os.Getenv("MICR_NOREJECT") == ""
	opt := TrainOptions{Hidden: envInt("MICR_HIDDEN", 0), Epochs: envInt("MICR_EPOCHS", 0)}
	var s Summary
	sameLen, diffLen := 0, 0
	var readTime time.Duration
	for f := 0; f < run; f++ {
		tr := append([]Example(nil), extra...)
		var te []Example
		for _, e := range ex {
			if FoldOf(e.Truth, k) != f {
				tr = append(tr, e)
			} else {
				te = append(te, e)
			}
		}
		var m *Model
		cache := os.Getenv("MICR_CACHE")
		if cache != "" {
			cache += "." + strconv.Itoa(f)
			if data, err := os.ReadFile(cache); err == nil {
				m, _ = LoadModel(data)
			}
		}
		if m == nil {
			var st TrainStats
			m, st = Train(tr, opt)
			t.Logf("fold %d: %d glyphs from %d/%d lines", f, st.Glyphs, st.Used, st.Lines)
			if cache != "" {
				os.WriteFile(cache, m.Marshal(), 0o644)
			}
		}
		t0 := time.Now()
		for _, e := range te {
			l, _ := ReadWith(m, e.Image)
			got := strings.ReplaceAll(l.Text, " ", "")
			s.Add(e.Truth, got)
			if got != e.Truth {
				if len(got) == len(e.Truth) {
					sameLen++
				} else {
					diffLen++
				}
				if os.Getenv("MICR_SHOW") != "" {
					t.Logf("%s\n want %s\n  got %s", e.Name, e.Truth, got)
				}
			}
		}
		readTime += time.Since(t0)
	}
	t.Logf("%d/%d exact (%.2f%%), %.2f%% chars; wrong with the right length %d, wrong length %d; %.1f ms a line",
		s.Exact, s.Lines, 100*s.ExactRate(), 100*s.CharAccuracy(), sameLen, diffLen, float64(readTime.Milliseconds())/float64(max(s.Lines, 1)))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
