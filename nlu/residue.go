package nlu

// fillerWords carry no content of their own in a short reply: hesitations, courtesy, articles and
// the little words around an answer ("yes please do", "um, that's it").
var fillerWords = map[string]bool{
	"a": true, "an": true, "the": true, "um": true, "uh": true, "er": true, "erm": true, "hmm": true, "mm": true,
	"oh": true, "ah": true, "well": true, "so": true, "and": true, "please": true, "thanks": true, "thank": true,
	"you": true, "do": true, "it": true, "its": true, "is": true, "that": true, "thats": true, "this": true,
	"s": true, "just": true, "now": true, "then": true, "ok": true, "okay": true, "alright": true,
	"go": true, "ahead": true, "i": true, "me": true, "my": true, "for": true, "of": true, "to": true,
	// words that only repeat an agreement already made
	"yes": true, "yeah": true, "yep": true, "right": true, "correct": true, "sure": true, "exactly": true,
	"good": true, "fine": true, "great": true, "perfect": true,
}

// Residue returns the words of text that carry meaning but that nothing understood accounts for:
// not inside one of the covered spans (the answer, the values read from the text), not filler or
// courtesy ("um", "please", "thanks"), and not words of context (the question the text answers,
// which a customer may echo). "yes a human forty" with "yes" and "forty" covered leaves
// ["human"]. Covered spans are matched as word sequences, each once, in any order.
func Residue(text string, covered []string, context string) []string {
	words := contentWords(text)
	used := make([]bool, len(words))
	for _, c := range covered {
		span := contentWords(c)
		if len(span) == 0 {
			continue
		}
	next:
		for i := 0; i+len(span) <= len(words); i++ {
			for j, w := range span {
				if used[i+j] || words[i+j] != w {
					continue next
				}
			}
			for j := range span {
				used[i+j] = true
			}
			break
		}
	}
	known := map[string]bool{}
	for _, w := range contentWords(context) {
		known[w] = true
	}
	var out []string
	for i, w := range words {
		if !used[i] && !fillerWords[w] && !known[w] {
			out = append(out, w)
		}
	}
	return out
}

// contentWords returns the words and numerals of text, normalised as the lexer does.
func contentWords(text string) []string {
	var out []string
	for _, t := range lex(text) {
		if t.kind == tokWord || t.kind == tokNum || t.kind == tokFrac {
			out = append(out, t.text)
		}
	}
	return out
}
