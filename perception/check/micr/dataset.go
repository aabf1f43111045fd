package micr

import (
	"fmt"
	"hash/fnv"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "image/jpeg" // line crops come as JPEG, PNG or TIFF
	_ "image/png"

	_ "golang.org/x/image/tiff"
)

// Example is one MICR line image with its ground truth, in the reader's alphabet (digits and
// T, A, U, D, no spaces).
type Example struct {
	Name  string
	Image image.Image
	Truth string
	// Strict marks a line that trains only when the plain segmentation finds as many characters
	// as its truth has (no alignment): lines of a set known to hold truncated crops.
	Strict bool
}

// TruthFromGT converts a ground-truth line written with A, B, C, D for the transit, amount, on-us and
// dash symbols (the convention of the public E-13B line sets) into the reader's T, A, U, D, spaces
// and line breaks removed.
func TruthFromGT(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case 'A':
			b.WriteRune(Transit)
		case 'B':
			b.WriteRune(Amount)
		case 'C':
			b.WriteRune(OnUs)
		case 'D':
			b.WriteRune(Dash)
		case ' ', '\n', '\r', '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LoadDir reads a folder of NAME.tif, NAME.png or NAME.jpg line images each with NAME.gt.txt (the
// A/B/C/D convention), sorted by name, keeping one in every lines when every > 1. Images without
// ground truth are passed over; images that do not decode are named in the second result.
func LoadDir(dir string, every int) ([]Example, []string, error) {
	gts, err := filepath.Glob(filepath.Join(dir, "*.gt.txt"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(gts)
	if len(gts) == 0 {
		return nil, nil, fmt.Errorf("micr: no NAME.gt.txt files in %s", dir)
	}
	var out []Example
	var bad []string
	for i, gt := range gts {
		if every > 1 && i%every != every-1 {
			continue
		}
		base := strings.TrimSuffix(gt, ".gt.txt")
		var img image.Image
		found := false
		for _, ext := range []string{".tif", ".tiff", ".png", ".jpg", ".jpeg"} {
			f, err := os.Open(base + ext)
			if err != nil {
				continue
			}
			found = true
			img, _, err = image.Decode(f)
			f.Close()
			if err != nil {
				bad = append(bad, filepath.Base(base)+ext+": "+err.Error())
			}
			break
		}
		if !found || img == nil {
			continue
		}
		t, err := os.ReadFile(gt)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Example{Name: filepath.Base(base), Image: img, Truth: TruthFromGT(string(t))})
	}
	return out, bad, nil
}

// FoldOf assigns an example to one of k cross-validation folds by its line: crops of the same
// printed line (the same truth, or one beginning the same way) share a fold, so that no line is
// scored by a model trained on another crop of it.
func FoldOf(truth string, k int) int {
	key := truth
	if len(key) > 8 {
		key = key[:8]
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(k))
}
