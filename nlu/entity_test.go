package nlu

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var ref = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestParseAmount(t *testing.T) {
	cases := []struct {
		text   string
		want   float64
		alts   []float64
		marked bool
	}{
		{"$1,250.75", 1250.75, nil, true},
		{"1250.75", 1250.75, nil, false},
		{"$ 40", 40, nil, true},
		{"twelve fifty", 1250, []float64{12.50}, false},
		{"twelve fifty seventy five", 1250.75, nil, false},
		{"one thousand two hundred fifty and 75/100", 1250.75, nil, true},
		{"one thousand two hundred fifty dollars and seventy five cents", 1250.75, nil, true},
		{"twelve hundred fifty dollars and seventy five cents", 1250.75, nil, true},
		{"one thousand two hundred and fifty dollars", 1250, nil, true},
		{"twenty-five hundred dollars", 2500, nil, true},
		{"a hundred bucks", 100, nil, true},
		{"seventy five cents", 0.75, nil, true},
		{"12 dollars 50", 12.50, nil, true},
		{"twelve dollars and fifty cents", 12.50, nil, true},
		{"twelve point five zero", 12.50, nil, false},
		{"twelve fifty dollars", 1250, nil, true},
		{"three million", 3_000_000, nil, false},
		{"1,250 and 75/100", 1250.75, nil, true},
		{"yes, twelve fifty seventy five", 1250.75, nil, false},
		{"Twelve Fifty Seventy-Five", 1250.75, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			as := ParseAmount(tc.text)
			if len(as) != 1 {
				t.Fatalf("ParseAmount(%q) = %+v, want one amount", tc.text, as)
			}
			a := as[0]
			if a.Value != tc.want || !slices.Equal(a.Alts, tc.alts) || a.Marked != tc.marked {
				t.Errorf("ParseAmount(%q) = %v alts %v marked %v, want %v alts %v marked %v", tc.text, a.Value, a.Alts, a.Marked, tc.want, tc.alts, tc.marked)
			}
			if a.Text != tc.text[a.Start:a.End] {
				t.Errorf("span %q does not match text %q", tc.text[a.Start:a.End], a.Text)
			}
		})
	}
	for _, s := range []string{"", "hello there", "and dollars cents", "$", "oh"} {
		if as := ParseAmount(s); len(as) != 0 {
			t.Errorf("ParseAmount(%q) = %+v, want none", s, as)
		}
	}
}

func TestParseDigits(t *testing.T) {
	cases := []struct{ text, want string }{
		{"one two three four", "1234"},
		{"double four", "44"},
		{"it is double four oh seven", "4407"},
		{"triple five two", "5552"},
		{"zero one", "01"},
		{"4111 1111 1111 1111", "4111111111111111"},
		{"my pin is nine eight seven six", "9876"},
		{"sixty seven eighty", "6780"},
	}
	for _, tc := range cases {
		if got, ok := ParseDigits(tc.text); !ok || got != tc.want {
			t.Errorf("ParseDigits(%q) = %q, %v; want %q", tc.text, got, ok, tc.want)
		}
	}
	for _, s := range []string{"", "hello", "one thousand", "$12"} {
		if got, ok := ParseDigits(s); ok {
			t.Errorf("ParseDigits(%q) = %q, want none", s, got)
		}
	}
}

func TestParseDates(t *testing.T) {
	cases := []struct{ text, want string }{
		{"11/20/2026", "2026-11-20"},
		{"on 11/20/26 please", "2026-11-20"},
		{"Nov 20, 2026", "2026-11-20"},
		{"nov. 20th 2026", "2026-11-20"},
		{"November twentieth", "2026-11-20"},
		{"november the twenty first", "2026-11-21"},
		{"the third of may", "2026-05-03"},
		{"3rd of May 2025", "2025-05-03"},
		{"20 November 2026", "2026-11-20"},
		{"2026-11-20", "2026-11-20"},
		{"yesterday", "2026-11-24"},
		{"Today", "2026-11-25"},
		{"tomorrow", "2026-11-26"},
	}
	for _, tc := range cases {
		ds := ParseDates(tc.text, ref)
		if len(ds) != 1 || ds[0].ISO != tc.want {
			t.Errorf("ParseDates(%q) = %+v, want %s", tc.text, ds, tc.want)
		}
	}
	for _, s := range []string{"13/45/2026", "February 30", "the may queen", "1250.75"} {
		if ds := ParseDates(s, ref); len(ds) != 0 {
			t.Errorf("ParseDates(%q) = %+v, want none", s, ds)
		}
	}
}

func TestParseErrorCodes(t *testing.T) {
	v := NewVocab([]string{"E21", "F05", "WM-3000", "washing machine"})
	cases := []struct {
		text  string
		vocab *Vocab
		want  []string
	}{
		{"it shows E21", nil, []string{"E21"}},
		{"F05 on the display", nil, []string{"F05"}},
		{"error e 21", nil, []string{"E21"}},
		{"error code E twenty one", nil, []string{"E21"}},
		{"code F oh five", nil, []string{"F05"}},
		{"it says f five", v, []string{"F05"}},
		{"the e21 and E-15 codes", nil, []string{"E21", "E15"}},
		{"I have a 5 year old washer", nil, nil},
		{"my WM-3000", v, nil},
	}
	for _, tc := range cases {
		var got []string
		for _, c := range ParseErrorCodes(tc.text, tc.vocab) {
			got = append(got, c.Value)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParseErrorCodes(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestParseProducts(t *testing.T) {
	v := NewVocab([]string{"WM-3000", "DW 500", "E21"})
	cases := []struct {
		text string
		want []string
	}{
		{"my WM-3000 leaks", []string{"WM-3000"}},
		{"my wm 3000 leaks", []string{"WM-3000"}},
		{"the dw500 dishwasher", []string{"DW 500"}},
		{"model XR-200B", []string{"XR-200B"}},
		{"card 4111 1111", nil},
		{"error E21", nil},
		{"WM-300000", nil},
	}
	for _, tc := range cases {
		var got []string
		for _, c := range ParseProducts(tc.text, v) {
			got = append(got, c.Value)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParseProducts(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestParseYesNo(t *testing.T) {
	cases := []struct {
		text     string
		expected bool
		want     string // "" for no answer
	}{
		{"yes", false, "yes"},
		{"Yeah.", false, "yes"},
		{"yep", false, "yes"},
		{"correct", false, "yes"},
		{"That's right", false, "yes"},
		{"sure thing", false, "yes"},
		{"yes, twelve fifty seventy five", false, "yes"},
		{"um yes please", false, "yes"},
		{"no", false, "no"},
		{"Nope", false, "no"},
		{"that's wrong", false, "no"},
		{"that is not correct", false, "no"},
		{"no, it's twelve fifty", false, "no"},
		{"no idea what happened", false, ""},
		{"I want to deposit a check", false, ""},
		{"I think that is correct", false, ""},
		{"I think that is correct", true, "yes"},
		{"it's not right", true, "no"},
		{"", true, ""},
	}
	for _, tc := range cases {
		a, ok := ParseYesNo(tc.text, tc.expected)
		if got := a.Value; got != tc.want || ok != (tc.want != "") {
			t.Errorf("ParseYesNo(%q, %v) = %q %v, want %q", tc.text, tc.expected, got, ok, tc.want)
		}
	}
}

func TestExtract(t *testing.T) {
	v := NewVocab([]string{"WM-3000", "E21", "F05"})
	type ent struct {
		typ   string
		value any
	}
	cases := []struct {
		text   string
		expect string
		want   []ent
	}{
		{"I want to deposit a check for $1,250.75", "", []ent{{EntAmount, 1250.75}}},
		{"the check is for 1250", "", []ent{{EntAmount, 1250.0}}},
		{"I have 2 kids", "", nil},
		{"twelve fifty", "", nil},
		{"twelve fifty", EntAmount, []ent{{EntAmount, 1250.0}}},
		{"yes, twelve fifty seventy five", "", []ent{{EntAmount, 1250.75}}},
		{"my account number is 12345678", "", []ent{{EntAccount, "12345678"}}},
		{"card 4111 1111 1111 1111", "", []ent{{EntCard, "4111111111111111"}}},
		{"one two three four", "", []ent{{EntDigits, "1234"}}},
		{"one two three four", EntDigits, []ent{{EntDigits, "1234"}}},
		{"1234", EntDigits, []ent{{EntDigits, "1234"}}},
		{"12345678", EntDigits, []ent{{EntDigits, "12345678"}, {EntAccount, "12345678"}}},
		{"account one two three four five six seven", "", []ent{{EntAccount, "1234567"}}},
		{"it was charged on 11/20/2026", "", []ent{{EntDate, "2026-11-20"}}},
		{"my WM-3000 shows error E21", "", []ent{{EntProduct, "WM-3000"}, {EntErrorCode, "E21"}}},
		{"error code E twenty one since yesterday", "", []ent{{EntErrorCode, "E21"}, {EntDate, "2026-11-24"}}},
	}
	for _, tc := range cases {
		t.Run(tc.text+"/"+tc.expect, func(t *testing.T) {
			es := Extract(tc.text, ExtractOptions{Ref: ref, Vocab: v, Expect: tc.expect})
			var got []ent
			for _, e := range es {
				got = append(got, ent{e.Type, e.Value})
				if e.Text != tc.text[e.Start:e.End] || e.Confidence <= 0 || e.Confidence > 1 {
					t.Errorf("bad entity %+v", e)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Extract(%q, %q) = %v, want %v", tc.text, tc.expect, got, tc.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	cases := map[string]string{
		"4111 1111 1111 1234": "**** **** **** 1234",
		"12345678":            "****5678",
		"1234":                "1234",
		"":                    "",
		"acct 99-001":         "acct *9-001",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	if !luhn("4111111111111111") || luhn("4111111111111112") {
		t.Error("luhn wrong")
	}
}

var fuzzSeeds = []string{
	"$1,250.75", "twelve fifty seventy five", "one thousand two hundred fifty and 75/100",
	"double four oh seven", "11/20/2026", "November twentieth", "error code E twenty one",
	"yes, twelve fifty", "a hundred", "and and dollars", "$ $ $1,", "1,2,3.4.5/100", "\xff$1",
	"9999999999999999999999999", "point point five", "twelve hundred thousand million",
}

func checkSpan(t *testing.T, text string, s, e int) {
	if s < 0 || e > len(text) || s > e {
		t.Fatalf("span %d:%d out of %q", s, e, text)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range ParseAmount(s) {
			checkSpan(t, s, a.Start, a.End)
			if math.IsNaN(a.Value) || a.Value < 0 || a.Confidence <= 0 || a.Confidence > 1 {
				t.Fatalf("ParseAmount(%q) = %+v", s, a)
			}
		}
	})
}

func FuzzParseDigits(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDigits(s)
		if ok != (d != "") || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("ParseDigits(%q) = %q, %v", s, d, ok)
		}
	})
}

func FuzzParseDates(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range ParseDates(s, ref) {
			checkSpan(t, s, d.Start, d.End)
			if _, err := time.Parse("2006-01-02", d.ISO); err != nil {
				t.Fatalf("ParseDates(%q) gave %q", s, d.ISO)
			}
		}
	})
}

func FuzzParseYesNo(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, exp := range []bool{false, true} {
			if a, ok := ParseYesNo(s, exp); ok && (a.Value != "yes" && a.Value != "no" || a.End > len(s)) {
				t.Fatalf("ParseYesNo(%q) = %+v", s, a)
			}
		}
	})
}

func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "")
		f.Add(s, "amount")
	}
	v := NewVocab([]string{"WM-3000", "E21"})
	f.Fuzz(func(t *testing.T, s, expect string) {
		for _, e := range Extract(s, ExtractOptions{Ref: ref, Vocab: v, Expect: expect}) {
			checkSpan(t, s, e.Start, e.End)
			if e.Value == nil || e.Confidence <= 0 || e.Confidence > 1 {
				t.Fatalf("Extract(%q) = %+v", s, e)
			}
		}
	})
}

func FuzzMask(f *testing.F) {
	f.Add("4111 1111 1111 1234")
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		if len(m) != len(s) || utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("Mask(%q) = %q", s, m)
		}
	})
}
