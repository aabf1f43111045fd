package redact

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

// findSpoken finds runs of at least MinDigits digit words (or single digits) separated by
// spaces, commas or dashes: "four one one one one one one one one one one one".
func findSpoken(s string) []Match {
	var ms []Match
	type word struct {
		start, end int
		digit      byte
	}
	var run []word
	flush := func() {
		// A run made only of written digits is findDigits' business.
		if len(run) >= MinDigits && hasWord(run, func(w word) bool { return w.end-w.start > 1 }) {
			digits := make([]byte, len(run))
			for i, w := range run {
				digits[i] = w.digit
			}
			ms = append(ms, Match{Start: run[0].start, End: run[len(run)-1].end, Kind: Spoken, Digits: string(digits)})
		}
		run = run[:0]
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
		d, ok := wordDigit(s[i:j])
		if !ok {
			flush()
		} else {
			run = append(run, word{i, j, d})
		}
		i = j
	}
	flush()
	return ms
}

func hasWord[T any](ws []T, f func(T) bool) bool {
	for _, w := range ws {
		if f(w) {
			return true
		}
	}
	return false
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
