package micr

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "golang.org/x/image/tiff"
)

// TestDevShared measures the reader on the shared development sets when present.
func TestDevShared(t *testing.T) {
	dir := os.Getenv("MICR_DEV")
	if dir == "" {
		t.Skip("set MICR_DEV to a folder of NAME.tif + NAME.gt.txt")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.tif"))
	if n := 400; len(files) > n {
		step := len(files) / n
		var s []string
		for i := 0; i < len(files); i += step {
			s = append(s, files[i])
		}
		files = s
	}
	ok := 0
	bad := 0
	for _, fn := range files {
		gt, _ := os.ReadFile(strings.TrimSuffix(fn, ".tif") + ".gt.txt")
		want := strings.NewReplacer("A", "T", "B", "A", "C", "U", " ", "", "\n", "").Replace(string(gt))
		f, _ := os.Open(fn)
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			continue
		}
		l, err := Read(img)
		got := strings.ReplaceAll(l.Text, " ", "")
		if got == want {
			ok++
		} else if bad++; bad <= 15 {
			t.Logf("%s\n want %s\n  got %s (%v)", filepath.Base(fn), want, got, err)
		}
	}
	t.Logf("%d/%d lines exact (%.1f%%)", ok, len(files), 100*float64(ok)/float64(len(files)))
}
