package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"card with spaces", "my card is 4111 1111 1111 1111.", "my card is ••••1111."},
		{"card plain", "4111111111111111", "••••1111"},
		{"card inside a word", "card4111111111111111x", "card••••1111x"},
		{"account", "account 123456789012 please", "account ••••9012 please"},
		{"dashes and dots", "acct 12-345-678 and 9876.5432.1098", "acct ••••5678 and ••••1098"},
		{"routing", "routing 021000021", "routing ••••0021"},
		{"eight digits", "12345678", "••••5678"},
		{"seven digits stay", "1234567 and 123 4567", "1234567 and 123 4567"},
		{"amounts stay", "$1,234.56 and 1234.56", "$1,234.56 and 1234.56"},
		{"micr letters", "T021000021T 123456789U 1042", "T••••0021T ••••6789U 1042"},
		{"micr symbols", "⑆021000021⑆ 12345678⑈ 0042", "⑆••••0021⑆ ••••5678⑈ 0042"},
		{"date stays", "on 2026-12-02 at 00:53:59", "on 2026-12-02 at 00:53:59"},
		{"date then time digits", "2026-12-02 00", "2026-12-02 00"},
		{"ipv4 stays", "from 192.168.100.200:8080", "from 192.168.100.200:8080"},
		{"not an ip", "1234.5678.9012.3456", "••••3456"},
		{"hex id stays", "conversation c_3f0a12345678bd99e0c1aa12", "conversation c_3f0a12345678bd99e0c1aa12"},
		{"digest stays", "blob 9b74c9897bac770ffc029102a200c5de", "blob 9b74c9897bac770ffc029102a200c5de"},
		{"prefix then account", "acct_12345678", "acct_••••5678"},
		{"word then account", "ref12345678", "ref••••5678"},
		{"two numbers", "4111 1111 1111 1111 / 123456789012", "••••1111 / ••••9012"},
		{"spoken", "it is four one one one one one one one one one one one", "it is ••••1111"},
		{"spoken mixed case and commas", "Nine, eight, seven, six, five, four, three, two", "••••5432"},
		{"spoken with oh", "one two three oh four five six seven eight", "••••5678"},
		{"spoken double and triple", "four double one triple two three four five", "••••2345"},
		{"double without a digit ends the run", "one two three four double trouble", "one two three four double trouble"},
		{"short spoken stays", "one two three four", "one two three four"},
		{"words stay", "I have one question about two of my accounts", "I have one question about two of my accounts"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStrict(t *testing.T) {
	for in, want := range map[string]string{
		"on 2026-12-02":             "on ••••1202",
		"192.168.100.200":           "••••0200",
		"c_3f0a12345678bd":          "c_3f0a••••5678bd",
		"4111 1111 1111 1111 today": "••••1111 today",
		"1250.75 dollars":           "1250.75 dollars",
	} {
		if got := Strict(in); got != want {
			t.Errorf("Strict(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzStrict(f *testing.F) {
	f.Add("card 4111 1111 1111 1111 and 12345678")
	f.Add("1-2-3-4-5-6-7-8-9 2026-12-02 c_3f0a12345678")
	f.Fuzz(func(t *testing.T, s string) {
		out := Strict(s)
		if m := fullNumber.FindString(out); m != "" {
			t.Fatalf("Strict(%q) = %q keeps %q", s, out, m)
		}
	})
}

func TestFindKinds(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
	}{
		{"4111 1111 1111 1111", Card},
		{"4111 1111 1111 1112", Account},
		{"021000021", Routing},
		{"021000022", Account},
		{"T021000021T", MICR},
		{"one two three four five six seven eight", Spoken},
	}
	for _, tc := range tests {
		ms := Find(tc.in)
		if len(ms) != 1 || ms[0].Kind != tc.kind {
			t.Errorf("Find(%q) = %+v, want one %s", tc.in, ms, tc.kind)
		}
	}
}

func TestLuhnAndRouting(t *testing.T) {
	for _, c := range []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"} {
		if !Luhn(c) {
			t.Errorf("Luhn(%s) = false", c)
		}
	}
	if Luhn("4111111111111112") || Luhn("") || Luhn("41x1") {
		t.Error("Luhn accepted a bad number")
	}
	if !RoutingValid("011000015") || RoutingValid("011000016") || RoutingValid("12345") {
		t.Error("RoutingValid wrong")
	}
}

func TestStringNoAllocWithoutNumbers(t *testing.T) {
	s := "a message with no long numbers in it, 2026-12-02, c_3f0a99"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String allocates %v times on clean text", n)
	}
}

func TestJSONAndAny(t *testing.T) {
	out, err := JSON([]byte(`{"account":"123456789012","n":123456789012,"small":42,"list":["4111-1111-1111-1111"],"123456789":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got["account"] != "••••9012" || got["n"] != "••••9012" || got["small"] != float64(42) || got["list"].([]any)[0] != "••••1111" || got["••••6789"] != float64(1) {
		t.Errorf("JSON = %s", out)
	}
	if _, err := JSON([]byte(`{"a":`)); err == nil {
		t.Error("JSON accepted a broken document")
	}
	if Any(int64(123456789012)) != "••••9012" || Any(12) != int64(12) && Any(12) != 12 {
		t.Errorf("Any ints: %v %v", Any(int64(123456789012)), Any(12))
	}
}

type account struct{ Number string }

type secret string

func (s secret) LogValue() slog.Value { return slog.StringValue(string(s)) }

// fullNumber matches what must never reach a log: eight digits in a row, grouped or not.
var fullNumber = regexp.MustCompile(`\d(?:[ .\-]?\d){7,}`)

// timeField is a log line's own time stamp.
var timeField = regexp.MustCompile(`"time":"[^"]*"|time=\S+`)

func TestHandlerMasksEverything(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var inner slog.Handler = slog.NewJSONHandler(&buf, nil)
			if format == "text" {
				inner = slog.NewTextHandler(&buf, nil)
			}
			log := slog.New(NewHandler(inner)).With("preset", "4111 1111 1111 1111")
			log.Info("card 4111111111111111 read",
				"account", "123456789012",
				"n", int64(123456789012),
				"u", uint64(98765432109),
				"err", fmt.Errorf("lookup 123456789012: %w", errors.New("not found")),
				slog.Group("customer", "routing", "021000021", slog.Group("deeper", "acct", "55554444333")),
				"struct", account{"123456789012"},
				"valuer", secret("9876543210"),
				"stringer", bytes.NewBufferString("acct 11112222333"),
				"small", 42, "id", "c_3f0a12345678bd99e0c1aa12")
			log.WithGroup("g").Warn("again", "acct", "123456789012")
			out := buf.String()
			clean := timeField.ReplaceAllString(strings.ReplaceAll(out, "c_3f0a12345678bd99e0c1aa12", ""), "")
			if m := fullNumber.FindString(clean); m != "" {
				t.Fatalf("log carries %q:\n%s", m, out)
			}
			for _, want := range []string{"••••1111", "••••9012", "••••2109", "••••0021", "••••4333", "••••3210", "••••2333", "not found", "c_3f0a12345678bd99e0c1aa12", "42"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"4111 1111 1111 1111", "T021000021T 123456789U", "2026-12-02 00:53", "1.2.3.4", "c_3f0a12345678", "four one one one one one one one", "⑆021000021⑆", "12-34-56-78"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", s, out)
		}
		ms := Find(s)
		last := 0
		for _, m := range ms {
			if m.Start < last || m.End > len(s) || m.Start >= m.End || len(m.Digits) < MinDigits {
				t.Fatalf("Find(%q): bad match %+v", s, m)
			}
			last = m.End
		}
		// Masking is stable: what is masked has nothing left to mask of the same kind.
		if again := String(out); again != out {
			t.Fatalf("String not idempotent: %q -> %q -> %q", s, out, again)
		}
		// No plain run of eight digits survives unless it is an identifier or sits in a date.
		for _, m := range fullNumber.FindAllStringIndex(out, -1) {
			run := out[m[0]:m[1]]
			if strings.ContainsAny(run, " .-") {
				continue // grouped forms have date and address exceptions
			}
			if !idLike(out, m[0], m[1]) {
				t.Fatalf("String(%q) = %q keeps %q", s, out, run)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":"4111 1111 1111 1111","n":123456789012}`, `[1,2.5,"x",null,true]`, `"12345678"`, `{"a":`, `1e30`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		out, err := JSON([]byte(doc))
		if err != nil {
			if json.Valid([]byte(doc)) && !strings.Contains(err.Error(), "more than one") {
				t.Fatalf("JSON(%q) refused a valid document: %v", doc, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("JSON(%q) = %q is not JSON", doc, out)
		}
		again, err := JSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("JSON not stable: %q -> %q -> %q (%v)", doc, out, again, err)
		}
	})
}
