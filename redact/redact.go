// Package redact finds account, routing and card numbers in text and structured values and masks
// them, keeping only the last four digits, so that logs, events shown to agents and prompts sent to
// a cloud model never carry a number whole.
//
// A number is a run of at least MinDigits digits, possibly grouped by single spaces, dashes or dots
// ("4111 1111 1111 1111", "12-345-678"), a MICR line's fields (digits between the E-13B symbols,
// written ⑆⑇⑈⑉ or T A U D), or the same spoken as words ("four one one one ..."). ISO dates,
// dotted IPv4 addresses and lowercase hexadecimal identifiers (c_3f0a12345678) are left alone;
// everything else errs on the side of masking.
package redact

import (
	"strings"
	"unicode/utf8"
)

// MinDigits is the shortest run of digits that is masked.
const MinDigits = 8

// Bullets is what stands in for the hidden digits of a masked number.
const Bullets = "••••"

// Kind says what a found number looks like.
type Kind string

// The kinds of number Find reports.
const (
	// Card is 13 to 19 digits that pass the Luhn check.
	Card Kind = "card"
	// Routing is 9 digits that pass the ABA routing checksum.
	Routing Kind = "routing"
	// MICR is a field of a check's MICR line (next to a transit, on-us, amount or dash symbol).
	MICR Kind = "micr"
	// Spoken is a number said as words.
	Spoken Kind = "spoken"
	// Account is any other long number.
	Account Kind = "account"
)

// Match is one number found in a text: s[Start:End] holds it.
type Match struct {
	Start, End int
	Kind       Kind
	// Digits are the number's digits without separators.
	Digits string
}

// Masked is how the match is written once masked: bullets and the last four digits.
func (m Match) Masked() string { return Bullets + m.Digits[len(m.Digits)-4:] }

// String masks every number in s and returns s unchanged (without allocating) when it has none.
func String(s string) string {
	return replace(s, Find(s))
}

// replace writes each match of s masked.
func replace(s string, ms []Match) string {
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m.Start])
		b.WriteString(m.Masked())
		last = m.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// Strict masks like String but makes no exception for dates, IPv4 addresses or identifiers: no
// run of MinDigits digits survives it. It suits text leaving the system, such as a cloud prompt.
func Strict(s string) string {
	if countDigits(s) < MinDigits && !mayBeSpoken(s) {
		return s
	}
	ms := findDigits(s, true)
	if mayBeSpoken(s) {
		ms = merge(ms, findSpoken(s))
	}
	return replace(s, ms)
}

// Contains reports whether s holds a number that String would mask.
func Contains(s string) bool { return len(Find(s)) > 0 }

// Find returns the numbers in s in order, without overlaps.
func Find(s string) []Match {
	var ms []Match
	if countDigits(s) >= MinDigits {
		ms = findDigits(s, false)
	}
	if mayBeSpoken(s) {
		ms = merge(ms, findSpoken(s))
	}
	return ms
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// isMICRLetter reports the letters a MICR reader writes for the E-13B symbols (transit, amount,
// on-us, dash).
func isMICRLetter(c byte) bool { return c == 'T' || c == 'A' || c == 'U' || c == 'D' }

// micrSymbols are the Unicode E-13B symbols.
const micrSymbols = "⑆⑇⑈⑉"

// group is one unbroken run of digits inside a candidate number.
type group struct{ start, end int }

// findDigits scans s for runs of digit groups joined by single separators.
func findDigits(s string, strict bool) []Match {
	var ms []Match
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// Collect groups joined by one separator each.
		var buf [8]group
		gs := buf[:0]
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			gs = append(gs, group{j, k})
			if k+1 < len(s) && isSep(s[k]) && isDigit(s[k+1]) {
				j = k + 1
				continue
			}
			j = k
			break
		}
		ms = append(ms, classifyRun(s, gs, strict)...)
		i = j
	}
	return ms
}

// classifyRun turns one run of groups into matches, leaving out what is not a number to hide.
func classifyRun(s string, gs []group, strict bool) []Match {
	// An ISO date (2026-12-02) at the front is a date; what follows is judged on its own.
	if !strict && len(gs) >= 3 && isDate(s, gs) {
		if len(gs) == 3 {
			return nil
		}
		return classifyRun(s, gs[3:], strict)
	}
	if !strict && isIPv4(s, gs) {
		return nil
	}
	start, end := gs[0].start, gs[len(gs)-1].end
	n := 0
	for _, g := range gs {
		n += g.end - g.start
	}
	if n < MinDigits {
		return nil
	}
	digits := make([]byte, 0, n)
	for _, g := range gs {
		digits = append(digits, s[g.start:g.end]...)
	}
	m := Match{Start: start, End: end, Digits: string(digits), Kind: Account}
	switch {
	case len(digits) >= 13 && len(digits) <= 19 && Luhn(m.Digits):
		m.Kind = Card
	case len(digits) == 9 && RoutingValid(m.Digits):
		m.Kind = Routing
	}
	before, after := prevByte(s, start), nextByte(s, end)
	if micrNeighbour(s, start, end) {
		m.Kind = MICR
		return []Match{m}
	}
	if !strict && (isAlnum(before) || isAlnum(after)) && m.Kind != Card && idLike(s, start, end) {
		return nil
	}
	return []Match{m}
}

func prevByte(s string, i int) byte {
	if i == 0 {
		return 0
	}
	return s[i-1]
}

func nextByte(s string, i int) byte {
	if i >= len(s) {
		return 0
	}
	return s[i]
}

// micrNeighbour reports whether the run touches a MICR symbol.
func micrNeighbour(s string, start, end int) bool {
	if isMICRLetter(prevByte(s, start)) || isMICRLetter(nextByte(s, end)) {
		return true
	}
	if r, _ := utf8.DecodeLastRuneInString(s[:start]); strings.ContainsRune(micrSymbols, r) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[end:])
	return strings.ContainsRune(micrSymbols, r)
}

// idLike reports whether the run sits inside an identifier such as c_3f0a12345678 or a hex digest:
// a token of lowercase hexadecimal with at least one letter, after an optional word_ prefix.
func idLike(s string, start, end int) bool {
	a, b := start, end
	for a > 0 && isAlnum(s[a-1]) {
		a--
	}
	for b < len(s) && isAlnum(s[b]) {
		b++
	}
	tok := s[a:b]
	if i := strings.LastIndexByte(tok, '_'); i >= 0 {
		if a+i+1 > start { // the underscore is inside the run's token after the digits
			return false
		}
		tok = tok[i+1:]
	}
	letter := false
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case isDigit(c):
		case c >= 'a' && c <= 'f':
			letter = true
		default:
			return false
		}
	}
	return letter
}

// isDate reports whether the first three groups are YYYY-MM-DD.
func isDate(s string, gs []group) bool {
	if gs[0].end-gs[0].start != 4 || gs[1].end-gs[1].start != 2 || gs[2].end-gs[2].start != 2 {
		return false
	}
	if s[gs[0].end] != '-' || s[gs[1].end] != '-' {
		return false
	}
	mo := atoi(s[gs[1].start:gs[1].end])
	d := atoi(s[gs[2].start:gs[2].end])
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31
}

// isIPv4 reports whether the groups are a dotted IPv4 address.
func isIPv4(s string, gs []group) bool {
	if len(gs) != 4 {
		return false
	}
	for i, g := range gs {
		n := g.end - g.start
		if n < 1 || n > 3 || atoi(s[g.start:g.end]) > 255 {
			return false
		}
		if i < 3 && s[g.end] != '.' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Luhn reports whether digits (ASCII digits only) pass the Luhn check that card numbers carry.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if !isDigit(c) {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// RoutingValid reports whether nine digits pass the ABA routing number checksum.
func RoutingValid(digits string) bool {
	if len(digits) != 9 {
		return false
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		if !isDigit(digits[i]) {
			return false
		}
		sum += w[i%3] * int(digits[i]-'0')
	}
	return sum%10 == 0
}

// merge joins two sorted match lists, dropping any match that overlaps one already kept.
func merge(a, b []Match) []Match {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]Match, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var m Match
		if j >= len(b) || i < len(a) && a[i].Start <= b[j].Start {
			m, i = a[i], i+1
		} else {
			m, j = b[j], j+1
		}
		if n := len(out); n > 0 && m.Start < out[n-1].End {
			continue
		}
		out = append(out, m)
	}
	return out
}
