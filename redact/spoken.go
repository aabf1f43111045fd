package redact

import "strings"

// digitWords are the words a customer (or a speech recogniser) uses for single digits.
var digitWords = map[string]byte{
	"zero": '0', "oh": '0', "o": '0', "nought": '0',
	"one": '1', "two": '2', "three": '3', "four": '4', "five": '5',
	"six": '6', "seven": '7', "eight": '8', "nine": '9',
}

// mayBeSpoken is a cheap filter: a spoken number of MinDigits words needs at least that many
// letters 'e', 'o' or 'i' (every digit word has one) and spaces between them.
func mayBeSpoken(s string) bool {
	vowels, spaces := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] | 0x20 {
		case 'e', 'o', 'i':
			vowels++
		case ' ':
			spaces++
		}
	}
	return vowels >= MinDigits && spaces >= MinDigits-1
}

// findSpoken finds runs of at least MinDigits spoken digits (digit words, single written digits,
// "double four", "triple nine") separated by spaces, commas or dashes:
// "four one one one one one one one one one one one".
func findSpoken(s string) []Match {
	var ms []Match
	var digits []byte
	start, end, words, repeat := -1, 0, 0, 0
	flush := func() {
		// A run made only of written digits is findDigits' business.
		if len(digits) >= MinDigits && words > 0 {
			ms = append(ms, Match{Start: start, End: end, Kind: Spoken, Digits: string(digits)})
		}
		digits, start, words, repeat = digits[:0], -1, 0, 0
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if !isLetter(c) && !isDigit(c) {
			// Separators keep a run going; anything else ends it.
			if c != ' ' && c != ',' && c != '-' {
				flush()
			}
			i++
			continue
		}
		j := i
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j])) {
			j++
		}
		tok := s[i:j]
		if n := repeatWord(tok); n > 0 && repeat == 0 {
			if start < 0 {
				start = i
			}
			repeat = n
		} else if d, ok := wordDigit(tok); ok {
			if start < 0 {
				start = i
			}
			for range max(repeat, 1) {
				digits = append(digits, d)
			}
			if len(tok) > 1 || repeat > 0 {
				words++
			}
			end, repeat = j, 0
		} else {
			flush()
		}
		i = j
	}
	flush()
	return ms
}

// repeatWord reads "double" as 2 and "triple" as 3, anything else as 0.
func repeatWord(tok string) int {
	switch {
	case strings.EqualFold(tok, "double"):
		return 2
	case strings.EqualFold(tok, "triple"):
		return 3
	}
	return 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// wordDigit reads one token as a digit: a digit word in any case, or one written digit.
func wordDigit(tok string) (byte, bool) {
	if len(tok) == 1 && isDigit(tok[0]) {
		return tok[0], true
	}
	if len(tok) > 6 {
		return 0, false
	}
	var buf [6]byte
	for i := 0; i < len(tok); i++ {
		buf[i] = tok[i] | 0x20
	}
	d, ok := digitWords[string(buf[:len(tok)])]
	return d, ok
}
