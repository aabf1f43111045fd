package check

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	amountRe   = regexp.MustCompile(`(\d{1,3}(?:,\d{3})+|\d+)(?:[.,](\d{2}))?`)
	numDateRe  = regexp.MustCompile(`(\d{1,2})\s?[/\-.]\s?(\d{1,2})\s?[/\-.]\s?(\d{4}|\d{2})`)
	isoDateRe  = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})`)
	wordDateRe = regexp.MustCompile(`(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})`)
	yearRe     = regexp.MustCompile(`(19|20)\d\d\W*$`)
	digitsRe   = regexp.MustCompile(`^\d{3,7}$`)
	courtesyRe = regexp.MustCompile(`^\$?(\d{1,3}(,\d{3})+|\d+)[.,]\d{2}$|^\$\d[\d,]*$`)
)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7,
	"aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// fixDigits undoes the usual OCR letter-for-digit slips inside a mostly numeric token.
func fixDigits(s string) string {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits*2 < len(s) {
		return s
	}
	return strings.NewReplacer("O", "0", "o", "0", "D", "0", "l", "1", "I", "1", "|", "1", "S", "5", "B", "8").Replace(s)
}

// ParseCourtesy parses the courtesy (numeric) amount of a check, such as "$ 1,250.75" or "**72.00**".
func ParseCourtesy(s string) (float64, error) {
	if len(s) > 200 {
		s = s[:200]
	}
	f := strings.Map(func(r rune) rune {
		switch r {
		case '$', '*', ' ', '#', '-', '=', '~', '_':
			return -1
		}
		return r
	}, s)
	f = fixDigits(f)
	m := amountRe.FindStringSubmatch(f)
	if m == nil {
		return 0, fmt.Errorf("%w: %q", ErrNoAmount, s)
	}
	whole := strings.ReplaceAll(m[1], ",", "")
	if len(whole) > 9 {
		return 0, fmt.Errorf("%w: %q is out of range", ErrNoAmount, s)
	}
	d, err := strconv.Atoi(whole)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrNoAmount, s)
	}
	c := 0
	if m[2] != "" {
		c, _ = strconv.Atoi(m[2])
	}
	return float64(d*100+c) / 100, nil
}

// ParseDate parses a check date ("11/20/2026", "Nov 20, 2026", "2026-11-20") into a date at UTC
// midnight.
func ParseDate(s string) (time.Time, error) {
	if len(s) > 200 {
		s = s[:200]
	}
	mk := func(y, m, d int) (time.Time, error) {
		if y < 100 {
			y += 2000
		}
		if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200 {
			return time.Time{}, fmt.Errorf("check: no date in %q", s)
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return time.Time{}, fmt.Errorf("check: no such date in %q", s)
		}
		return t, nil
	}
	if m := isoDateRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		return mk(y, mo, d)
	}
	if m := wordDateRe.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		return mk(y, int(months[strings.ToLower(m[1])]), d)
	}
	tokens := strings.Fields(s)
	for i, tok := range tokens {
		tokens[i] = fixDigits(tok)
	}
	if m := numDateRe.FindStringSubmatch(strings.Join(tokens, " ")); m != nil {
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		return mk(y, mo, d)
	}
	return time.Time{}, fmt.Errorf("check: no date in %q", s)
}
