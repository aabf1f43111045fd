package nlu

import (
	"math"
	"strconv"
	"strings"
)

// wordKind is the role of a number word.
type wordKind uint8

const (
	wUnit  wordKind = iota + 1 // zero..nine
	wTeen                      // ten..nineteen
	wTens                      // twenty..ninety
	wHund                      // hundred
	wScale                     // thousand, million
)

type numWord struct {
	kind wordKind
	val  int64
}

var numWords = map[string]numWord{
	"zero": {wUnit, 0}, "oh": {wUnit, 0}, "o": {wUnit, 0}, "nought": {wUnit, 0},
	"one": {wUnit, 1}, "two": {wUnit, 2}, "three": {wUnit, 3}, "four": {wUnit, 4},
	"five": {wUnit, 5}, "six": {wUnit, 6}, "seven": {wUnit, 7}, "eight": {wUnit, 8}, "nine": {wUnit, 9},
	"ten": {wTeen, 10}, "eleven": {wTeen, 11}, "twelve": {wTeen, 12}, "thirteen": {wTeen, 13},
	"fourteen": {wTeen, 14}, "fifteen": {wTeen, 15}, "sixteen": {wTeen, 16}, "seventeen": {wTeen, 17},
	"eighteen": {wTeen, 18}, "nineteen": {wTeen, 19},
	"twenty": {wTens, 20}, "thirty": {wTens, 30}, "forty": {wTens, 40}, "fourty": {wTens, 40},
	"fifty": {wTens, 50}, "sixty": {wTens, 60}, "seventy": {wTens, 70}, "eighty": {wTens, 80},
	"ninety":  {wTens, 90},
	"hundred": {wHund, 100}, "thousand": {wScale, 1000}, "million": {wScale, 1_000_000},
	"grand": {wScale, 1000},
}

// chunk is a run of number words read as one cardinal number ("one thousand two hundred fifty"),
// or one numeral token. A spoken amount is often several chunks: "twelve | fifty | seventy five".
type chunk struct {
	val    int64
	digits string // the digits as spoken: "0" for "oh", "05" for "oh five"
	words  int    // number words in the chunk (0 for a numeral)
	scaled bool   // contains hundred, thousand or million
	last   wordKind
	start  int
	end    int
	num    *token // the numeral, when the chunk is one
}

// twoDigit reports whether the chunk reads as a two-digit group, as in "twelve fifty".
func (c chunk) twoDigit() bool { return c.num == nil && !c.scaled && c.val >= 10 && c.val <= 99 }

// small reports whether the chunk is a number word group below 100 without scale words.
func (c chunk) small() bool { return c.num == nil && !c.scaled && c.val <= 99 }

// chunker accumulates number words into chunks.
type chunker struct {
	out   *[]item // where finished chunks go, in order with the phrase's other items
	cur   *chunk
	total int64 // thousands and millions already closed in the current chunk
	part  int64 // below-thousand part of the current chunk
	scale int64 // last scale used in the current chunk, to keep scales decreasing
}

func (k *chunker) open(t token) {
	k.flush()
	k.cur = &chunk{start: t.start}
	k.total, k.part, k.scale = 0, 0, 0
}

func (k *chunker) flush() {
	if k.cur != nil {
		k.cur.val = k.total + k.part
		*k.out = append(*k.out, item{kind: iChunk, c: *k.cur})
		k.cur = nil
	}
}

// accepts reports whether word w continues the current chunk.
func (k *chunker) accepts(w numWord) bool {
	c := k.cur
	if c == nil {
		return false
	}
	switch w.kind {
	case wUnit:
		if w.val == 0 {
			return false
		}
		return (c.last == wTens && k.part%10 == 0) || c.last == wHund || c.last == wScale
	case wTeen, wTens:
		return c.last == wHund || (c.last == wScale)
	case wHund:
		return (c.last == wUnit || c.last == wTeen || c.last == wTens) && k.part > 0 && k.part < 100
	case wScale:
		return c.last != wScale && k.total+k.part > 0 && (k.scale == 0 || w.val < k.scale)
	}
	return false
}

// add puts a number word into the current chunk, or starts a new one.
func (k *chunker) add(t token, w numWord) {
	if !k.accepts(w) {
		k.open(t)
	}
	c := k.cur
	switch w.kind {
	case wUnit, wTeen, wTens:
		k.part += w.val
		if w.kind == wUnit && c.last == wTens && len(c.digits) > 0 {
			// "sixty seven": replace the tens' zero
			c.digits = c.digits[:len(c.digits)-1] + strconv.FormatInt(w.val, 10)
		} else {
			c.digits += strconv.FormatInt(w.val, 10)
		}
	case wHund:
		k.part *= 100
		c.scaled = true
	case wScale:
		k.total = (k.total + max(k.part, 0)) * w.val
		if k.total == 0 {
			k.total = w.val
		}
		k.part = 0
		k.scale = w.val
		c.scaled = true
	}
	c.words++
	c.last = w.kind
	c.end = t.end
	k.cur.val = k.total + k.part
}

// digitString returns the digits spoken in chunks, if every chunk is a small number group:
// "one two three four" -> "1234", "oh five" -> "05".
func digitString(cs []chunk) (string, bool) {
	var b strings.Builder
	for _, c := range cs {
		switch {
		case c.num != nil && !c.num.decimal && !c.num.grouped:
			b.WriteString(c.num.text)
		case c.small():
			b.WriteString(c.digits)
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// roundCents rounds v to whole cents.
func roundCents(v float64) float64 { return math.Round(v*100) / 100 }
