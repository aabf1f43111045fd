package check

import (
	"math"
	"testing"
)

func TestParseLegal(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want float64
	}{
		{"acceptance", "One thousand two hundred fifty and 75/100", 1250.75},
		{"no cents", "Seventy-two and no/100 dollars", 72},
		{"xx cents", "Five hundred and xx/100", 500},
		{"fill", "***Three thousand four hundred six and 05/100***", 3406.05},
		{"glued fraction", "Ninety nine and 99/100DOLLARS", 99.99},
		{"ocr slip", "One thousnd two hundrd fifty and 75/100", 1250.75},
		{"cents words", "Twelve dollars and 50 cents", 12.5},
		{"million", "Two million three hundred thousand and 00/100", 2_300_000},
		{"hundred thousand", "One hundred twenty thousand and 10/100", 120_000.10},
		{"fourty", "Fourty and 00/100", 40},
		{"trailing words", "Fifty and 00/100 DOLLARS FIRST BANK", 50},
		{"glued words", "Forty-threeand 45/100", 43.45},
		{"glued numbers", "Twohundredfifty and 00/100", 250},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLegal(tc.in)
			if err != nil || math.Abs(got-tc.want) > 0.001 {
				t.Fatalf("ParseLegal(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "invoice 2291", "ACME Corporation", "/100"} {
		if v, err := ParseLegal(bad); err == nil {
			t.Errorf("ParseLegal(%q) = %v, want an error", bad, v)
		}
	}
}

func TestAmountWordsRoundTrip(t *testing.T) {
	for _, v := range []float64{0.5, 1, 12.34, 99.99, 100, 1250.75, 40_001.01, 999_999.99, 1_234_567.89} {
		s := AmountWords(v)
		got, err := ParseLegal(s)
		if err != nil || math.Abs(got-v) > 0.001 {
			t.Errorf("ParseLegal(AmountWords(%v) = %q) = %v, %v", v, s, got, err)
		}
	}
}

func FuzzParseLegal(f *testing.F) {
	for _, s := range []string{"One thousand two hundred fifty and 75/100", "and no/100", "hundred hundred thousand million", "x/100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseLegal(s)
		if err == nil && (v < 0 || v > 100_000_000 || math.IsNaN(v)) {
			t.Fatalf("ParseLegal(%q) = %v", s, v)
		}
	})
}
