package asr

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/perception"
)

var (
	unitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	teenWords = []string{"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tensWords = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// amountLeads and digitLeads may come before a spoken amount or digit string.
var (
	amountLeads = []string{"the amount is", "the amount is for", "it is", "it's", "it is for", "it's for", "that's",
		"for", "about", "exactly", "deposit", "i want to deposit", "i'd like to deposit", "the check is for",
		"the check is", "it was", "it was for", "i paid", "they charged me", "i was charged"}
	digitLeads = []string{"my number is", "it's", "it is", "the number is", "my account number is", "account number",
		"the account number is", "my card number is", "the last four digits are", "the last four are", "the code is"}
)

// yesNoLeads and yesNoTails combine into answers such as "no that's wrong" or "yes please".
var (
	yesNoLeads = []string{"yes", "yeah", "yep", "yup", "sure", "okay", "right", "correct", "absolutely", "of course", "no", "nope", "not really", "not yet"}
	yesNoTails = []string{"that's right", "that is right", "that's correct", "that is correct", "it is", "it's right",
		"please", "please do", "go ahead", "thanks", "thank you", "that's wrong", "that is wrong", "that's not right",
		"it's not", "it is not", "that's not it", "not that"}
)

// clipped are yes/no words left out of the grammar: on real and synthetic speech a plain "no"
// or "yes" came out as "nope" or "yup" (the release of the final consonant), and the answer means
// the same without them.
var clipped = map[string]bool{"nope": true, "yep": true, "yup": true}

// yesNo adds the yes/no answers: a lead word alone or with a tail, and the other phrases.
func (g *fsg) yesNo() {
	mid := g.state()
	for _, l := range yesNoLeads {
		if clipped[l] {
			continue
		}
		w := strings.Fields(l)
		g.words(fsgStart, mid, w...)
		g.words(fsgStart, fsgFinal, w...)
	}
	for _, t := range yesNoTails {
		g.words(mid, fsgFinal, strings.Fields(t)...)
	}
	for _, p := range yesNoPhrases {
		if !clipped[p] {
			g.phrase(strings.Fields(p))
		}
	}
}

// yesNoPhrases are how customers answer a yes/no question.
var yesNoPhrases = []string{
	"yes", "yeah", "yep", "yup", "sure", "correct", "right", "that's right", "that is right", "that's correct",
	"that is correct", "yes please", "yes it is", "yes that's right", "yes that's correct", "absolutely", "of course",
	"okay", "go ahead", "please do", "sounds good",
	"no", "nope", "no thanks", "no thank you", "not really", "no it's not", "no it is not", "that's wrong",
	"that is wrong", "that's not right", "incorrect", "wrong", "not yet", "no way", "don't",
}

// anytimePhrases may be said whatever the dialogue waits for.
var anytimePhrases = []string{
	"i don't know", "i'm not sure", "can you repeat that", "say that again", "what", "help",
	"i want to talk to a person", "talk to an agent", "speak to a human", "i don't understand",
	"that doesn't help", "this is not working", "never mind", "thank you", "thanks", "goodbye",
}

// choiceOrdinals let a customer pick a menu entry by position.
var choiceOrdinals = []string{"the first one", "the second one", "the third one", "the last one", "first", "second", "third", "number one", "number two", "number three", "option one", "option two", "option three"}

// grammarFSG returns the finite-state grammar for an expectation, keeping only words the
// dictionary knows.
func grammarFSG(e perception.Expectation, packPhrases func(pack string, intents []string) []string, known func(string) bool) *fsg {
	g := newFSG()
	var phrases []string
	switch e.Type {
	case "amount":
		pre := g.state()
		g.optional(fsgStart, pre, amountLeads...)
		post := g.state()
		g.money(pre, post)
		g.optional(post, fsgFinal, "please")
	case "digits":
		pre := g.state()
		g.optional(fsgStart, pre, digitLeads...)
		g.digits(pre, fsgFinal)
	case "date":
		g.date(fsgStart, fsgFinal)
	case "choice":
		phrases = append(phrases, choiceOrdinals...)
		for _, c := range e.Choices {
			phrases = append(phrases, c, "the "+c)
		}
	}
	// A typed expectation's grammar holds only answers of its type: the other things a customer
	// may say ("I don't know", a yes where an amount was asked) are left to the open search, which
	// wins when the grammar's reading is forced. With them in the grammar, real spoken digits came
	// out as "thanks", "correct" or "what" (FSDD, digit expectation: 43% -> 29% WER without them).
	if !typed(e) || e.Type == "yesno" {
		g.yesNo()
	}
	if !typed(e) {
		phrases = append(phrases, anytimePhrases...)
	}
	phrases = append(phrases, e.Phrases...)
	for _, v := range e.Vocabulary {
		phrases = append(phrases, v, "it's "+v, "my "+v)
	}
	if packPhrases != nil && (e.Type == "" || e.Type == "text" || len(e.Intents) > 0) {
		phrases = append(phrases, packPhrases(e.Pack, e.Intents)...)
	}
	for _, p := range phrases {
		for _, v := range spokenVariants(p) {
			if w := strings.Fields(filterKnown(v, known)); len(w) > 0 {
				g.phrase(w)
			}
		}
	}
	return g
}

// typed reports whether e asks for one kind of answer: an amount, a yes or no, digits, a date or
// a menu choice.
func typed(e perception.Expectation) bool {
	switch e.Type {
	case "amount", "yesno", "digits", "date", "choice":
		return true
	}
	return false
}

func filterKnown(phrase string, known func(string) bool) string {
	var out []string
	for _, w := range strings.Fields(phrase) {
		if known == nil || known(w) {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// spokenVariants turns written text into the word sequences a person would say: lower case,
// punctuation dropped, numbers and codes such as "E21" or "WF45" spelled out. A code has two
// readings ("e twenty one", "e two one").
func spokenVariants(text string) []string {
	a, b := spoken(text, false), spoken(text, true)
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// spoken normalises text to words; digitwise reads every number digit by digit.
func spoken(text string, digitwise bool) string {
	text = strings.ToLower(text)
	text = strings.NewReplacer("$", " dollars ", "%", " percent ", "&", " and ", "+", " plus ", "#", " number ").Replace(text)
	var words []string
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '.')
	}) {
		tok = strings.Trim(tok, "'.")
		if tok == "" {
			continue
		}
		// A money value like 12.50: dollars and cents.
		if d, c, ok := strings.Cut(tok, "."); ok && isDigits(d) && isDigits(c) && len(c) == 2 {
			words = append(words, numberWords(d)...)
			words = append(words, "dollars", "and")
			words = append(words, numberWords(c)...)
			words = append(words, "cents")
			continue
		}
		tok = strings.ReplaceAll(tok, ".", " ")
		for _, part := range strings.Fields(tok) {
			words = append(words, splitCode(part, digitwise)...)
		}
	}
	return strings.Join(words, " ")
}

// splitCode splits letter and digit runs: "e21" -> e twenty one, "wf45" -> w f forty five.
func splitCode(tok string, digitwise bool) []string {
	var runs []string
	start := 0
	for i := 1; i <= len(tok); i++ {
		if i == len(tok) || isDigit(tok[i]) != isDigit(tok[start]) {
			runs = append(runs, tok[start:i])
			start = i
		}
	}
	var out []string
	code := len(runs) > 1
	for _, r := range runs {
		switch {
		case isDigit(r[0]):
			if digitwise || len(r) > 4 || (len(r) > 1 && r[0] == '0') {
				for _, c := range r {
					out = append(out, unitWords[c-'0'])
				}
			} else {
				out = append(out, numberWords(r)...)
			}
		case code && len(r) <= 3:
			for _, c := range r {
				out = append(out, string(c))
			}
		default:
			out = append(out, r)
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// numberWords reads a decimal integer of up to nine digits in words.
func numberWords(s string) []string {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if n == 0 {
		return []string{"zero"}
	}
	var out []string
	if n >= 1_000_000 {
		out = append(out, below1000(n/1_000_000)...)
		out = append(out, "million")
		n %= 1_000_000
	}
	if n >= 1000 {
		out = append(out, below1000(n/1000)...)
		out = append(out, "thousand")
		n %= 1000
	}
	if n > 0 {
		out = append(out, below1000(n)...)
	}
	return out
}

func below1000(n int) []string {
	var out []string
	if n >= 100 {
		out = append(out, unitWords[n/100], "hundred")
		n %= 100
	}
	switch {
	case n >= 20:
		out = append(out, tensWords[n/10])
		if n%10 > 0 {
			out = append(out, unitWords[n%10])
		}
	case n >= 10:
		out = append(out, teenWords[n-10])
	case n > 0:
		out = append(out, unitWords[n])
	}
	return out
}

// amountPhrases renders an amount in cents the ways people say it.
func amountPhrases(cents int) []string {
	d, c := cents/100, cents%100
	dw := strings.Join(numberWords(fmt.Sprint(d)), " ")
	var out []string
	if c == 0 {
		out = append(out, dw+" dollars", dw)
	} else {
		cw := strings.Join(numberWords(fmt.Sprint(c)), " ")
		out = append(out, dw+" dollars and "+cw+" cents", dw+" "+cw)
	}
	if d >= 1100 && d < 10000 && d%100 != 0 {
		h := strings.Join(numberWords(fmt.Sprint(d/100)), " ") + " hundred " + strings.Join(numberWords(fmt.Sprint(d%100)), " ")
		if c == 0 {
			out = append(out, h+" dollars")
		} else {
			out = append(out, h+" dollars and "+strings.Join(numberWords(fmt.Sprint(c)), " ")+" cents")
		}
	}
	return out
}
