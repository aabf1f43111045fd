package check

import (
	"image"
	"testing"

	"github.com/parleyhq/parley/perception/ocr"
)

func word(text string, x0, x1 int, conf float64) ocr.Word {
	return ocr.Word{Text: text, Box: image.Rect(x0, 100, x1, 120), Confidence: conf}
}

// TestCutPayee keeps the name and drops a stray word set apart, rule ends and weak short words.
func TestCutPayee(t *testing.T) {
	cases := []struct {
		in   []ocr.Word
		want string
	}{
		{[]ocr.Word{word("Metro", 200, 260, 0.95), word("Electric", 268, 350, 0.93), word("Co.", 358, 390, 0.9), word("bee", 900, 940, 0.4)}, "Metro Electric Co."},
		{[]ocr.Word{word("—", 150, 190, 0.3), word("Maria", 200, 260, 0.9), word("Lopez", 268, 330, 0.9), word("|", 335, 338, 0.2)}, "Maria Lopez"},
		{[]ocr.Word{word("Blue", 200, 250, 0.9), word("River", 258, 320, 0.9), word("Plumbing", 328, 420, 0.9), word("wm", 428, 450, 0.3)}, "Blue River Plumbing"},
		{[]ocr.Word{word("x", 100, 110, 0.2), word("ACME", 400, 470, 0.9), word("Corporation", 478, 600, 0.9)}, "ACME Corporation"},
		{[]ocr.Word{word("wor", 150, 190, 0.7), word("Greenleaf", 200, 300, 0.9), word("Landscaping", 308, 450, 0.9)}, "Greenleaf Landscaping"},
		{[]ocr.Word{word("OF", 150, 180, 0.9), word("City", 200, 240, 0.9), word("Water", 248, 310, 0.9)}, "City Water"},
		{[]ocr.Word{word("van", 200, 240, 0.9), word("der", 248, 280, 0.9), word("Berg", 288, 340, 0.9)}, "van der Berg"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := payeeText(cutPayee(c.in)); got != c.want {
			t.Errorf("cutPayee: got %q want %q", got, c.want)
		}
	}
}

// TestChoosePayeeConfidence checks the payee confidence: the weakest word of the crop reading,
// capped when the page reads another name, and capped when only the page read it.
func TestChoosePayeeConfidence(t *testing.T) {
	crop := []ocr.Word{word("Metro", 200, 260, 0.95), word("Electric", 268, 350, 0.8), word("Co.", 358, 390, 0.9)}
	page := []ocr.Word{word("Metro", 200, 260, 0.9), word("Electric", 268, 350, 0.9), word("Co.", 358, 390, 0.9)}
	f := choosePayee(crop, page, "page")
	if f.Text != "Metro Electric Co." || f.Confidence != 0.8 || f.How != "crop" {
		t.Fatalf("%+v", f)
	}
	other := []ocr.Word{word("Metro", 200, 260, 0.9), word("Electrlc", 268, 350, 0.9)}
	if f := choosePayee(crop, other, "page"); f.Confidence > PayeeDisagree {
		t.Fatalf("disagreeing readings kept confidence %.2f", f.Confidence)
	}
	if f := choosePayee(nil, page, "page"); f.Text != "Metro Electric Co." || f.Confidence > PayeeUncropped || f.How != "page" {
		t.Fatalf("page only: %+v", f)
	}
	lic := []ocr.Word{word("Summit", 280, 390, 0.95), word("LIC", 398, 440, 0.58)}
	llc := []ocr.Word{word("Summit", 280, 390, 0.95), word("LLC", 398, 440, 0.69)}
	if f := choosePayee(lic, llc, "page"); f.Text != "Summit LLC" || f.Confidence != 0.69 {
		t.Fatalf("the surer page word was not taken: %+v", f)
	}
	co := []ocr.Word{word("Metro", 200, 260, 0.95), word("Electric", 268, 350, 0.9), word("Co.", 358, 390, 0.7)}
	shifted := []ocr.Word{word("Metro", 200, 260, 0.95), word("Electric", 300, 392, 0.9)}
	if f := choosePayee(co, shifted, "page"); f.Text != "Metro Electric Co." {
		t.Fatalf("a page word of another width replaced a crop word: %+v", f)
	}
	lower := []ocr.Word{word("summit", 280, 390, 0.95), word("Roofing", 398, 500, 0.9)}
	upper := []ocr.Word{word("Summit", 280, 390, 0.6), word("Roofing", 398, 500, 0.9)}
	if f := choosePayee(lower, upper, "page"); f.Text != "Summit Roofing" {
		t.Fatalf("capital not taken from the page: %+v", f)
	}
	if f := choosePayee(nil, nil, "page"); f.Found() {
		t.Fatalf("nothing read, got %+v", f)
	}
}

func TestMemoLike(t *testing.T) {
	for _, s := range []string{"memo", "wewo", "nemo", "meno"} {
		if !memoLike(s) {
			t.Errorf("%q not taken for MEMO", s)
		}
	}
	for _, s := range []string{"name", "memos", "demo", "more"} {
		if memoLike(s) {
			t.Errorf("%q taken for MEMO", s)
		}
	}
}
