package checkgen

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/parleyhq/parley/perception/check/micr"
)

func TestAmountWords(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1250.75, "One thousand two hundred fifty and 75/100"},
		{0.5, "Zero and 50/100"},
		{1, "One and 00/100"},
		{19.99, "Nineteen and 99/100"},
		{45, "Forty-five and 00/100"},
		{100, "One hundred and 00/100"},
		{1000000, "One million and 00/100"},
		{2_015_310.07, "Two million fifteen thousand three hundred ten and 07/100"},
		{999.999, "One thousand and 00/100"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := AmountWords(tc.in); got != tc.want {
				t.Errorf("AmountWords(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	for in, want := range map[float64]string{1250.75: "1,250.75", 4.5: "4.50", 1234567.8: "1,234,567.80", 999: "999.00"} {
		if got := FormatAmount(in); got != want {
			t.Errorf("FormatAmount(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateTruth(t *testing.T) {
	g := New(7)
	for i := 0; i < 6; i++ {
		c, img := g.Generate(Options{})
		if !micr.ValidRouting(c.Routing) {
			t.Errorf("routing %s fails its checksum", c.Routing)
		}
		if c.LegalAmount != AmountWords(c.Amount) {
			t.Errorf("legal amount %q for %v", c.LegalAmount, c.Amount)
		}
		w := img.Bounds().Dx()
		if (c.Layout == Personal && w != 1800) || (c.Layout == Business && w != 2475) {
			t.Errorf("%s check is %d px wide", c.Layout, w)
		}
		if !strings.Contains(c.MICR, "T"+c.Routing+"T") || !strings.Contains(c.MICR, c.Account+"U") {
			t.Errorf("MICR %q lacks routing or account", c.MICR)
		}
		serial := strings.TrimLeft(c.CheckNumber, "0")
		if !strings.Contains(c.MICR, serial) {
			t.Errorf("MICR %q lacks serial %s", c.MICR, c.CheckNumber)
		}
	}
	// Same seed, same check.
	a, _ := New(3).Generate(Options{})
	b, _ := New(3).Generate(Options{})
	if a.MICR != b.MICR || a.Payee != b.Payee || a.Amount != b.Amount {
		t.Error("generation is not deterministic for a seed")
	}
}

func TestDegradeAll(t *testing.T) {
	_, img := New(1).Generate(Options{Layout: Personal})
	small, err := Degrade(img, "small600", rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if small.Bounds().Dx() != 600 {
		t.Errorf("small600 is %d wide", small.Bounds().Dx())
	}
	for _, d := range Degradations {
		out, err := Degrade(small, d, rand.New(rand.NewSource(2)))
		if err != nil || out.Bounds().Empty() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := Degrade(img, "sepia", rand.New(rand.NewSource(1))); !errors.Is(err, ErrUnknownDegradation) {
		t.Errorf("unknown degradation: %v", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := New(1)
	for i := 0; i < b.N; i++ {
		g.Generate(Options{})
	}
}
