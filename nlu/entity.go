package nlu

import (
	"sort"
	"strings"
	"time"
)

// Entity types emitted by Extract.
const (
	EntAmount    = "amount"
	EntAccount   = "account"
	EntCard      = "card"
	EntDate      = "date"
	EntErrorCode = "error_code"
	EntProduct   = "product"
	EntDigits    = "digits"
)

// Entity is one value found in text. Value is a float64 for amounts and a string otherwise
// (digits for account, card and digits; YYYY-MM-DD for dates).
type Entity struct {
	Type       string  `json:"type"`
	Value      any     `json:"value"`
	Alts       []any   `json:"alts,omitempty"`
	Text       string  `json:"text"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Confidence float64 `json:"confidence"`
}

// ExtractOptions give extraction its context.
type ExtractOptions struct {
	// Ref is "now" for relative dates (default: the current time).
	Ref time.Time
	// Vocab is the pack's vocabulary of codes and models (optional).
	Vocab *Vocab
	// Expect is what the dialogue waits for: "amount" makes a bare number phrase an amount;
	// "digits" prefers digit strings; "date" and others need no special handling.
	Expect string
}

// Extract finds amounts, account and card numbers, dates, error codes, product models and spoken
// digit strings in text. Spans do not overlap: dates, codes and models are read first, then
// numbers.
func Extract(text string, o ExtractOptions) []Entity {
	var out []Entity
	taken := func(s, e int) bool {
		for _, x := range out {
			if s < x.End && e > x.Start {
				return true
			}
		}
		return false
	}
	for _, d := range ParseDates(text, o.Ref) {
		out = append(out, Entity{Type: EntDate, Value: d.ISO, Text: d.Text, Start: d.Start, End: d.End, Confidence: 0.9})
	}
	for _, c := range ParseErrorCodes(text, o.Vocab) {
		if !taken(c.Start, c.End) {
			out = append(out, Entity{Type: EntErrorCode, Value: c.Value, Text: c.Text, Start: c.Start, End: c.End, Confidence: codeConf(c)})
		}
	}
	for _, c := range ParseProducts(text, o.Vocab) {
		if !taken(c.Start, c.End) {
			out = append(out, Entity{Type: EntProduct, Value: c.Value, Text: c.Text, Start: c.Start, End: c.End, Confidence: codeConf(c)})
		}
	}
	toks := lex(text)
	used := make([]bool, len(toks))
	for i, t := range toks {
		used[i] = taken(t.start, t.end)
	}
	out = append(out, numberEntities(text, toks, used, o.Expect)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func codeConf(c Code) float64 {
	if c.Known {
		return 0.95
	}
	return 0.7
}

// numberEntities reads the number phrases of toks as card, account, digits or amount.
func numberEntities(text string, toks []token, used []bool, expect string) []Entity {
	var out []Entity
	lower := strings.ToLower(text)
	cardCtx := strings.Contains(lower, "card")
	acctCtx := strings.Contains(lower, "account") || strings.Contains(lower, "acct")
	for _, p := range phrases(toks, used) {
		span := text[p.start:p.end]
		cs := chunksOf(p.items)
		if ds, ok := idDigits(p, cs); ok {
			if expect == EntDigits {
				// what was asked for, whatever else the digits may also be
				out = append(out, Entity{Type: EntDigits, Value: ds, Text: span, Start: p.start, End: p.end, Confidence: 0.85})
			}
			switch {
			case len(ds) >= 13 && len(ds) <= 19 && (luhn(ds) || cardCtx && !acctCtx):
				out = append(out, Entity{Type: EntCard, Value: ds, Text: span, Start: p.start, End: p.end, Confidence: 0.9})
				continue
			case len(ds) >= 6 && len(ds) <= 17 && expect != EntAmount:
				out = append(out, Entity{Type: EntAccount, Value: ds, Text: span, Start: p.start, End: p.end, Confidence: conf(acctCtx, 0.85, 0.6)})
				continue
			case expect == EntDigits:
				continue
			case spokenDigits(cs) && expect != EntAmount:
				out = append(out, Entity{Type: EntDigits, Value: ds, Text: span, Start: p.start, End: p.end, Confidence: conf(expect == EntDigits, 0.85, 0.6)})
				continue
			}
		}
		a, ok := p.amount(text)
		if !ok || !a.Marked && expect != EntAmount && a.Confidence < 0.75 && !amountCue(lower, p.start) {
			continue
		}
		c := a.Confidence
		if expect == EntAmount {
			c = min(1, c+0.1)
		}
		e := Entity{Type: EntAmount, Value: a.Value, Text: a.Text, Start: a.Start, End: a.End, Confidence: c}
		for _, v := range a.Alts {
			e.Alts = append(e.Alts, v)
		}
		out = append(out, e)
	}
	return out
}

func conf(cond bool, yes, no float64) float64 {
	if cond {
		return yes
	}
	return no
}

// idDigits returns the digits of a phrase that reads as an identifier: numerals without money
// formatting ("4111 1111 1111 1111", "1234-5678") or spoken digits ("one two three four").
func idDigits(p phrase, cs []chunk) (string, bool) {
	if p.sign || len(cs) != len(p.items) {
		return "", false
	}
	ds, ok := digitString(cs)
	if !ok {
		return "", false
	}
	for _, c := range cs {
		if c.num == nil && !spokenDigits(cs) {
			// number words make an identifier only when said digit by digit
			return "", false
		}
	}
	return ds, true
}

// spokenDigits reports whether chunks are at least two number words each one digit long, like
// "one two three four" or "double four".
func spokenDigits(cs []chunk) bool {
	if len(cs) < 2 {
		return false
	}

	for _, c := range cs {
		if c.num != nil || len(c.digits) != 1 {
			return false
		}
	}
	return true
}

// amountCue reports whether the words before offset say money follows ("for", "of", "amount").
func amountCue(lower string, at int) bool {
	before := strings.Fields(lower[max(0, at-32):at])
	if len(before) == 0 {
		return false
	}
	switch strings.Trim(before[len(before)-1], ",:") {
	case "for", "of", "amount", "is", "was", "pay", "paid", "deposit", "charged", "withdraw", "transfer", "send", "sent":
		return strings.Contains(lower, "amount") || strings.Contains(lower, "check") || strings.Contains(lower, "cheque") ||
			strings.Contains(lower, "pay") || strings.Contains(lower, "charge") || strings.Contains(lower, "deposit") ||
			strings.Contains(lower, "transfer") || strings.Contains(lower, "withdraw") || strings.Contains(lower, "bill")
	}
	return false
}

// ParseDigits returns the digits of the longest digit string spoken or written in text: "one two
// three four" is "1234", "double four" is "44", "oh" is "0", "4111 1111" is "41111111".
func ParseDigits(text string) (string, bool) {
	best := ""
	for _, p := range phrases(lex(text), nil) {
		cs := chunksOf(p.items)
		if p.sign || len(cs) != len(p.items) {
			continue
		}
		if ds, ok := digitString(cs); ok && len(ds) > len(best) {
			best = ds
		}
	}
	return best, best != ""
}

// luhn reports whether digits pass the Luhn checksum of card numbers.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Mask hides all but the last four digits of an account or card number for logs:
// "4111 1111 1111 1234" becomes "**** **** **** 1234". Other characters are kept.
func Mask(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	b := []byte(s)
	seen := 0
	for i := range b {
		if isDigit(b[i]) {
			seen++
			if seen <= n-4 {
				b[i] = '*'
			}
		}
	}
	return string(b)
}
