package check

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ErrNoAmount means no amount could be parsed from the text.
var ErrNoAmount = errors.New("check: no amount in text")

var smallNumbers = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90,
}

var scales = map[string]int{"hundred": 100, "thousand": 1000, "million": 1_000_000}

var fillers = map[string]bool{"and": true, "dollars": true, "dollar": true, "only": true, "exactly": true,
	"no": true, "cents": true, "cent": true, "xx": true}

// vocabulary holds every word the legal amount parser knows, for correcting OCR slips.
var vocabulary = func() []string {
	var v []string
	for w := range smallNumbers {
		v = append(v, w)
	}
	for w := range scales {
		v = append(v, w)
	}
	for w := range fillers {
		v = append(v, w)
	}
	v = append(v, "forty", "fourty", "ninty")
	return v
}()

var (
	centsRe     = regexp.MustCompile(`(?i)\b(\d{1,2}|no|xx|oo|00)\s*/\s*(?:100|l00|1oo|loo)(?:[^0-9]|$)`)
	centsCutRe  = regexp.MustCompile(`(?i)\b(\d{1,2}|no|xx|oo|00)\s*/\s*(?:100|l00|1oo|loo)`)
	centsWordRe = regexp.MustCompile(`(?i)\band\s+(\d{1,2})\s+cents?\b`)
)

// ParseLegal parses the legal (written) amount of a check, such as "One thousand two hundred fifty
// and 75/100" or "Seventy-two and no/100 dollars", into dollars. It tolerates fill characters,
// hyphens, missing spaces before the fraction and single-letter OCR slips in number words.
func ParseLegal(s string) (float64, error) {
	v, _, err := parseLegal(s)
	return v, err
}

// parseLegal is ParseLegal that also says whether the cents were written.
func parseLegal(s string) (float64, bool, error) {
	if len(s) > 400 {
		s = s[:400]
	}
	cents, hasCents := 0, true
	rest := s
	if m := centsRe.FindStringSubmatchIndex(s); m != nil {
		c := strings.ToLower(s[m[2]:m[3]])
		if n, err := strconv.Atoi(c); err == nil {
			cents = n
		}
		rest = s[:m[0]]
	} else if m := centsWordRe.FindStringSubmatchIndex(s); m != nil {
		cents, _ = strconv.Atoi(s[m[2]:m[3]])
		rest = s[:m[0]]
	} else {
		hasCents = false
	}
	words := strings.FieldsFunc(strings.ToLower(rest), func(r rune) bool {
		return !(r >= 'a' && r <= 'z')
	})
	words = splitGlued(words)
	total, group, seen := 0, 0, false
	for _, w := range words {
		w = correct(w)
		if n, ok := smallNumbers[w]; ok {
			group += n
			seen = true
			continue
		}
		switch w {
		case "hundred":
			group = max(group, 1) * 100
			seen = true
			if group > 100_000_000 {
				return 0, false, fmt.Errorf("%w: %q is out of range", ErrNoAmount, s)
			}
			continue
		case "thousand", "million":
			total += max(group, 1) * scales[w]
			group = 0
			if total > 100_000_000 {
				return 0, false, fmt.Errorf("%w: %q is out of range", ErrNoAmount, s)
			}
			seen = true
			continue
		}
		if fillers[w] || len(w) <= 1 {
			continue
		}
		if seen {
			break // words after the amount (a payee or a memo on the same line)
		}
	}
	if !seen {
		return 0, false, fmt.Errorf("%w: %q", ErrNoAmount, s)
	}
	total += group
	if total > 100_000_000 {
		return 0, false, fmt.Errorf("%w: %q is out of range", ErrNoAmount, s)
	}
	return math.Round((float64(total)+float64(cents)/100)*100) / 100, hasCents, nil
}

// correct maps a word with one OCR slip (one letter changed, added or dropped) to a known number
// word; other words come back unchanged.
func correct(w string) string {
	if _, ok := smallNumbers[w]; ok || scales[w] != 0 || fillers[w] {
		return w
	}
	switch w {
	case "fourty":
		return "forty"
	case "ninty":
		return "ninety"
	}
	if len(w) < 4 {
		return w
	}
	for _, v := range vocabulary {
		if len(v) >= 4 && editDistance1(w, v) {
			if v == "fourty" {
				return "forty"
			}
			if v == "ninty" {
				return "ninety"
			}
			return v
		}
	}
	return w
}

// editDistance1 reports whether a and b differ by at most one edit.
func editDistance1(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	if la < lb {
		a, b, la, lb = b, a, lb, la
	}
	i, j, edits := 0, 0, 0
	for i < la && j < lb {
		if a[i] == b[j] {
			i++
			j++
			continue
		}
		edits++
		if edits > 1 {
			return false
		}
		if la == lb {
			j++
		}
		i++
	}
	return edits+(la-i) <= 1
}

// AmountWords writes dollars in the words of a check's legal line, e.g. "One thousand two hundred
// fifty and 75/100".
func AmountWords(v float64) string {
	c := int(math.Round(v * 100))
	d, cents := c/100, c%100
	var parts []string
	var say func(n int)
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens := []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	say = func(n int) {
		switch {
		case n >= 1_000_000:
			say(n / 1_000_000)
			parts = append(parts, "million")
			if n%1_000_000 > 0 {
				say(n % 1_000_000)
			}
		case n >= 1000:
			say(n / 1000)
			parts = append(parts, "thousand")
			if n%1000 > 0 {
				say(n % 1000)
			}
		case n >= 100:
			say(n / 100)
			parts = append(parts, "hundred")
			if n%100 > 0 {
				say(n % 100)
			}
		case n >= 20:
			t := tens[n/10]
			if n%10 > 0 {
				t += "-" + names[n%10]
			}
			parts = append(parts, t)
		default:
			parts = append(parts, names[n])
		}
	}
	say(d)
	s := strings.Join(parts, " ")
	s = strings.ToUpper(s[:1]) + s[1:]
	if cents == 0 {
		return s + " and no/100"
	}
	return fmt.Sprintf("%s and %02d/100", s, cents)
}

// known reports whether w (after correction) is a word of the legal amount vocabulary.
func known(w string) bool {
	w = correct(w)
	_, ok := smallNumbers[w]
	return ok || scales[w] != 0 || fillers[w]
}

// splitGlued splits words OCR ran together ("threeand", "twohundredfifty") into known words.
func splitGlued(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if len(w) >= 6 && len(w) <= 30 && !known(w) {
			if parts, ok := splitWord(w); ok {
				out = append(out, parts...)
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// splitWord splits w into known words, trying the shortest known prefix first.
func splitWord(w string) ([]string, bool) {
	if known(w) {
		return []string{w}, true
	}
	for i := 3; i <= len(w)-2; i++ {
		if known(w[:i]) {
			if rest, ok := splitWord(w[i:]); ok {
				return append([]string{w[:i]}, rest...), true
			}
		}
	}
	return nil, false
}
