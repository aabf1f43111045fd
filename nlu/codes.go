package nlu

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

var (
	// reCode matches a written error code: one letter then one to three digits, "E21", "F05",
	// "e 21", "E-21".
	reCode = regexp.MustCompile(`(?i)\b([a-z])[ -]?(\d{1,3})\b`)
	// reModel matches a product model: two to four capital letters then digits, "WM-3000",
	// "DW500X". Models of the vocabulary are also found in other spellings ("wm 3000").
	reModel = regexp.MustCompile(`\b([A-Z]{2,4})-?(\d{2,5})([A-Z]{0,2})\b`)
	// codeContext words make a spaced or spoken letter-number pair an error code.
	codeContext = regexp.MustCompile(`(?i)\b(errors?|codes?|faults?|display|displays|showing|shows|says|flashing|blinking)\b`)
)

// Code is an error code or product model found in text.
type Code struct {
	Value      string `json:"value"` // canonical form: "E21", "WM-3000"
	Text       string `json:"text"`
	Start, End int    `json:"-"`
	// Known tells whether Value is in the vocabulary it was matched against.
	Known bool `json:"known"`
}

// canon strips a code to its uppercase letters and digits: "wm 3000" -> "WM3000".
func canon(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// Vocab is what entity extraction knows of a pack: its error codes and product models.
type Vocab struct {
	codes  map[string]string // canon -> as written in the pack
	models map[string]string
	names  []string // other vocabulary, lowercased
}

// NewVocab sorts a pack's vocabulary into error codes ("E21"), product models ("WM-3000") and
// other words.
func NewVocab(words []string) *Vocab {
	v := &Vocab{codes: map[string]string{}, models: map[string]string{}}
	for _, w := range words {
		w = strings.TrimSpace(w)
		c := canon(w)
		switch {
		case c == "":
		case len(c) >= 2 && len(c) <= 4 && isLetterByte(c[0]) && allDigits(c, 1, len(c)-1):
			v.codes[c] = strings.ToUpper(w)
		case strings.ContainsAny(c, "0123456789"):
			v.models[c] = w
		default:
			v.names = append(v.names, strings.ToLower(w))
		}
	}
	return v
}

func isLetterByte(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }

// codeValue formats letter and number as a code, preferring how the vocabulary writes it:
// ("F", 5) is "F05" when the pack knows F05.
func (v *Vocab) codeValue(letter string, num int, digits string) (string, bool) {
	letter = strings.ToUpper(letter)
	if v != nil {
		for _, cand := range []string{letter + digits, letter + strconv.Itoa(num), letter + pad2(num), letter + "0" + pad2(num)} {
			if w, ok := v.codes[cand]; ok {
				return w, true
			}
		}
	}
	if len(digits) >= 2 {
		return letter + digits, false
	}
	return letter + pad2(num), false
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ParseErrorCodes finds error codes in text: written ("E21", "F05", "e 21") or spoken ("error
// code E twenty one"). Spaced and spoken forms need a context word such as "error" or "code", or
// a match in vocab.
func ParseErrorCodes(text string, vocab *Vocab) []Code {
	ctx := codeContext.MatchString(text)
	var out []Code
	for _, m := range reCode.FindAllStringSubmatchIndex(text, -1) {
		g := groups(text, m)
		spaced := m[3] != m[4]
		n, _ := strconv.Atoi(g[2])
		val, known := vocab.codeValue(g[1], n, g[2])
		letterUpper := g[1][0] >= 'A' && g[1][0] <= 'Z'
		if !known && (spaced && !ctx || !spaced && !letterUpper && !ctx && len(g[2]) < 2) {
			continue
		}
		out = append(out, Code{Value: val, Text: text[m[0]:m[1]], Start: m[0], End: m[1], Known: known})
	}
	// Spoken: a single letter followed by number words.
	toks := lex(text)
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if t.kind != tokWord || len(t.text) != 1 || !isLetterByte(t.text[0]) || toks[i+1].kind != tokWord {
			continue
		}
		// A code number is at most a few words: look no further, so long inputs stay linear.
		p, _, ok := phraseAt(toks[:min(len(toks), i+6)], nil, i+1)
		if !ok {
			continue
		}
		cs := chunksOf(p.items)
		if len(cs) == 0 || cs[0].num != nil || cs[0].scaled || len(p.items) != len(cs) {
			continue
		}
		digits := ""
		if ds, ok := digitString(cs); ok && len(ds) <= 3 {
			digits = ds
		} else {
			continue
		}
		n, _ := strconv.Atoi(digits)
		val, known := vocab.codeValue(t.text, n, digits)
		if !known && !ctx {
			continue
		}
		if overlaps(out, t.start, p.end) {
			continue
		}
		out = append(out, Code{Value: val, Text: text[t.start:p.end], Start: t.start, End: p.end, Known: known})
	}
	return out
}

func overlaps(cs []Code, s, e int) bool {
	for _, c := range cs {
		if s < c.End && e > c.Start {
			return true
		}
	}
	return false
}

// ParseProducts finds product models in text: those of vocab by their letters and digits
// ("wm 3000" finds "WM-3000"), and other model-like codes ("DW500X").
func ParseProducts(text string, vocab *Vocab) []Code {
	var out []Code
	for _, m := range reModel.FindAllStringIndex(text, -1) {
		c := canon(text[m[0]:m[1]])
		if v, ok := vocabModel(vocab, c); ok {
			out = append(out, Code{Value: v, Text: text[m[0]:m[1]], Start: m[0], End: m[1], Known: true})
			continue
		}
		out = append(out, Code{Value: strings.ToUpper(text[m[0]:m[1]]), Text: text[m[0]:m[1]], Start: m[0], End: m[1]})
	}
	if vocab == nil {
		return out
	}
	// Models written with other separators or spelled out, matched on letters and digits.
	flat, pos := canonWithPos(text)
	for c, w := range vocab.models {
		for from := 0; ; {
			i := strings.Index(flat[from:], c)
			if i < 0 {
				break
			}
			i += from
			s, e := pos[i], pos[i+len(c)-1]+1
			if !overlaps(out, s, e) && boundary(text, s, e) {
				out = append(out, Code{Value: w, Text: text[s:e], Start: s, End: e, Known: true})
			}
			from = i + len(c)
		}
	}
	return out
}

func vocabModel(v *Vocab, c string) (string, bool) {
	if v == nil {
		return "", false
	}
	w, ok := v.models[c]
	return w, ok
}

// canonWithPos is canon that also returns the byte offset in text of each kept character.
func canonWithPos(text string) (string, []int) {
	var b strings.Builder
	var pos []int
	for i, r := range text {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(unicode.ToUpper(r))
			pos = append(pos, i)
		}
	}
	return b.String(), pos
}

// boundary reports whether text[s:e] is not part of a longer word or number.
func boundary(text string, s, e int) bool {
	alnum := func(b byte) bool { return isLetterByte(b) || isDigit(b) }
	return (s == 0 || !alnum(text[s-1])) && (e >= len(text) || !alnum(text[e]))
}
