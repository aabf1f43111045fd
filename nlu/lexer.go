package nlu

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token of an entity scan.
type tokKind uint8

const (
	tokWord   tokKind = iota // lowercase letters, apostrophes dropped
	tokNum                   // digits, maybe with grouping commas and a decimal part
	tokFrac                  // "75/100"
	tokDollar                // "$"
	tokPunct                 // any other single symbol that separates phrases
)

// token is a piece of the input with its byte span.
type token struct {
	kind       tokKind
	text       string // normalised: lowercase word, digits without commas, or the symbol
	start, end int
	// For tokNum: whether it had grouping commas or a decimal point.
	grouped, decimal bool
}

// lex splits text into tokens. Hyphens and slashes inside words split them ("twenty-five");
// digit groups keep commas and one decimal point.
func lex(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			i++
		case unicode.IsLetter(r):
			start := i
			var b strings.Builder
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if unicode.IsLetter(r) {
					b.WriteRune(unicode.ToLower(r))
				} else if !(r == '\'' || r == '’') || i+size >= len(text) || !isLetterAt(text, i+size) {
					break
				}
				i += size
			}
			toks = append(toks, token{kind: tokWord, text: b.String(), start: start, end: i})
		case r >= '0' && r <= '9':
			toks = append(toks, lexNumber(text, &i))
		case r == '$':
			toks = append(toks, token{kind: tokDollar, text: "$", start: i, end: i + 1})
			i++
		case unicode.IsSpace(r):
			i += size
		default:
			toks = append(toks, token{kind: tokPunct, text: string(r), start: i, end: i + size})
			i += size
		}
	}
	return toks
}

func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// lexNumber reads "1,250.75", "1250", "75/100" starting at *i.
func lexNumber(text string, i *int) token {
	start := *i
	var b strings.Builder
	t := token{kind: tokNum, start: start}
	j := start
	for j < len(text) {
		c := text[j]
		switch {
		case isDigit(c):
			b.WriteByte(c)
			j++
			continue
		case c == ',' && !t.decimal && b.Len() > 0 && allDigits(text, j+1, 3) && (j+4 >= len(text) || !isDigit(text[j+4])):
			t.grouped = true
			j++
			continue
		case c == '.' && !t.decimal && j+1 < len(text) && isDigit(text[j+1]):
			t.decimal = true
			b.WriteByte('.')
			j++
			continue
		case c == '/' && !t.decimal && !t.grouped && j+1 < len(text) && isDigit(text[j+1]):
			// a fraction of a hundred, as written on checks: "75/100"
			k := j + 1
			for k < len(text) && isDigit(text[k]) {
				k++
			}
			if text[j+1:k] == "100" && (k >= len(text) || text[k] != '/') {
				*i = k
				return token{kind: tokFrac, text: b.String(), start: start, end: k}
			}
		}
		break
	}
	t.text = b.String()
	t.end = j
	*i = j
	return t
}

func allDigits(s string, from, n int) bool {
	if from+n > len(s) {
		return false
	}
	for k := from; k < from+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}
