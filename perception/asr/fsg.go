package asr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// fsg is a finite-state grammar over words, written in the pocketsphinx FSG text format. It is
// built directly rather than through JSGF: the JSGF compiler copies every rule reference, and the
// number rules then blow up to seconds of compile time; here shared prefixes collapse into a trie
// and each number sub-automaton is a few states.
type fsg struct {
	states int
	trans  []fsgTrans
	trie   map[trieKey]int
}

type fsgTrans struct {
	from, to int
	word     string // "" is a null transition
}

type trieKey struct {
	state int
	word  string
}

const (
	fsgStart = 0
	fsgFinal = 1
)

func newFSG() *fsg { return &fsg{states: 2, trie: map[trieKey]int{}} }

func (g *fsg) state() int { g.states++; return g.states - 1 }

func (g *fsg) add(from, to int, word string) { g.trans = append(g.trans, fsgTrans{from, to, word}) }

// words adds a path spelling ws from one state to another.
func (g *fsg) words(from, to int, ws ...string) {
	if len(ws) == 0 {
		g.add(from, to, "")
		return
	}
	for i, w := range ws {
		next := to
		if i < len(ws)-1 {
			next = g.state()
		}
		g.add(from, next, w)
		from = next
	}
}

// oneOf adds one transition per word.
func (g *fsg) oneOf(from, to int, ws ...string) {
	for _, w := range ws {
		g.add(from, to, w)
	}
}

// phrase adds a sentence from the start state to the final state, sharing prefixes with the
// phrases already added.
func (g *fsg) phrase(ws []string) {
	s := fsgStart
	for i, w := range ws {
		if i == len(ws)-1 {
			k := trieKey{s, w + "\x00final"}
			if _, ok := g.trie[k]; !ok {
				g.trie[k] = fsgFinal
				g.add(s, fsgFinal, w)
			}
			return
		}
		k := trieKey{s, w}
		next, ok := g.trie[k]
		if !ok {
			next = g.state()
			g.trie[k] = next
			g.add(s, next, w)
		}
		s = next
	}
}

func (g *fsg) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "FSG_BEGIN parley\nNUM_STATES %d\nSTART_STATE %d\nFINAL_STATE %d\n", g.states, fsgStart, fsgFinal)
	for _, t := range g.trans {
		if t.word == "" {
			fmt.Fprintf(&b, "TRANSITION %d %d 1.0\n", t.from, t.to)
		} else {
			fmt.Fprintf(&b, "TRANSITION %d %d 1.0 %s\n", t.from, t.to, t.word)
		}
	}
	b.WriteString("FSG_END\n")
	return b.String()
}

var (
	units = unitWords[1:]
	tens  = tensWords[2:]
)

// n99 adds a number from one to ninety-nine.
func (g *fsg) n99(from, to int) {
	g.oneOf(from, to, units...)
	g.oneOf(from, to, teenWords...)
	mid := g.state()
	g.oneOf(from, mid, tens...)
	g.add(mid, to, "")
	g.oneOf(mid, to, units...)
}

// optAnd adds an optional "and".
func (g *fsg) optAnd(from, to int) {
	g.add(from, to, "")
	g.add(from, to, "and")
}

// hundreds adds "<n99> hundred [[and] <n99>]" (twelve hundred fifty) when big, else
// "(<unit> | a) hundred [[and] <n99>]".
func (g *fsg) hundreds(from, to int, big bool) {
	h := g.state()
	if big {
		g.n99(from, h)
	} else {
		g.oneOf(from, h, units...)
		g.add(from, h, "a")
	}
	after := g.state()
	g.add(h, after, "hundred")
	g.add(after, to, "")
	a := g.state()
	g.optAnd(after, a)
	g.n99(a, to)
}

// n999 adds a number from one to 999.
func (g *fsg) n999(from, to int) {
	g.n99(from, to)
	g.hundreds(from, to, false)
}

// number adds a cardinal up to the millions: "one thousand two hundred fifty", "twelve hundred
// fifty", "zero".
func (g *fsg) number(from, to int) {
	g.add(from, to, "zero")
	lead := g.state()
	g.n999(from, lead)
	g.add(lead, to, "")
	scale := g.state()
	g.oneOf(lead, scale, "thousand", "million")
	g.add(scale, to, "")
	a := g.state()
	g.optAnd(scale, a)
	g.n999(a, to)
	g.hundreds(from, to, true)
}

// digit adds one spoken digit ("double five"). "Oh" for zero is left out: the short vowel is
// inserted between digits far more often than it is said.
func (g *fsg) digit(from, to int) {
	g.oneOf(from, to, unitWords...)
	m := g.state()
	g.oneOf(from, m, "double", "triple")
	g.oneOf(m, to, unitWords...)
}

// money adds an amount: "twelve hundred fifty dollars and seventy five cents", "twelve fifty
// seventy five", "fifty cents", "ten point five". Only plural units are offered: "dollar" and
// "dollars" differ by one weak sound and the amount is the same either way.
func (g *fsg) money(from, to int) {
	n := g.state()
	g.number(from, n)
	g.add(n, to, "")
	// Cents follow only a unit ("five dollars fifty", "five dollars and fifty cents") or carry
	// their own ("five and fifty cents"): a bare number then another would be too loose.
	cur := g.state()
	g.oneOf(n, cur, "dollars", "bucks")
	g.add(cur, to, "")
	a := g.state()
	g.add(n, a, "and")
	g.n99(a, g.centsTo(to))
	c := g.state()
	g.optAnd(cur, c)
	cv := g.state()
	g.n99(c, cv)
	g.add(c, cv, "zero")
	g.add(cv, to, "")
	g.add(cv, to, "cents")
	// Pairs: "twelve fifty", "twelve fifty seventy five", "twelve oh five".
	p1, p2 := g.state(), g.state()
	g.n99(from, p1)
	g.pair(p1, p2)
	g.add(p2, to, "")
	g.add(p2, to, "dollars")
	p3 := g.state()
	g.pair(p2, p3)
	g.add(p3, to, "")
	g.n99(n, g.centsTo(to))
	pt := g.state()
	g.add(n, pt, "point")
	d := g.state()
	g.digit(pt, d)
	g.add(d, to, "")
	g.digit(d, to)
}

// centsTo returns a state from which "cents" leads to to.
func (g *fsg) centsTo(to int) int {
	s := g.state()
	g.add(s, to, "cents")
	return s
}

// pair adds a two-digit group as said in "twelve fifty" or "twelve oh five".
func (g *fsg) pair(from, to int) {
	g.n99(from, to)
	o := g.state()
	g.add(from, o, "oh")
	g.oneOf(o, to, units...)
}

// digits adds a digit string, one digit word at a time. Grouped readings ("forty two") are left to
// the open search: in the grammar they turned real spoken "three" into "thirty" or "thirteen".
func (g *fsg) digits(from, to int) {
	loop := g.state()
	g.add(from, loop, "")
	next := g.state()
	g.digit(loop, next)
	g.add(next, loop, "")
	g.add(next, to, "")
}

// date adds a spoken date.
func (g *fsg) date(from, to int) {
	ordinals := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
		"eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
		"nineteenth", "twentieth", "thirtieth"}
	months := []string{"january", "february", "march", "april", "may", "june", "july", "august", "september",
		"october", "november", "december"}
	days := []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	s := g.state()
	g.add(from, s, "")
	g.add(from, s, "on")
	ord := func(a, b int) {
		g.oneOf(a, b, ordinals...)
		t := g.state()
		g.oneOf(a, t, "twenty", "thirty")
		g.oneOf(t, b, ordinals[:9]...)
	}
	// [the] <ordinal> [of <month>]
	o := g.state()
	the := g.state()
	g.add(s, the, "")
	g.add(s, the, "the")
	ord(the, o)
	g.add(o, to, "")
	of := g.state()
	g.add(o, of, "of")
	g.oneOf(of, to, months...)
	// <month> [the] <ordinal>
	m := g.state()
	g.oneOf(s, m, months...)
	mt := g.state()
	g.add(m, mt, "")
	g.add(m, mt, "the")
	ord(mt, to)
	g.oneOf(s, to, "today", "yesterday", "tomorrow")
	w := g.state()
	g.add(s, w, "")
	g.oneOf(s, w, "last", "next", "this")
	g.oneOf(w, to, days...)
	g.words(s, to, "last", "week")
	n := g.state()
	g.number(s, n)
	g.words(n, to, "days", "ago")
}

// optional adds a path through one of the phrases or none.
func (g *fsg) optional(from, to int, phrases ...string) {
	g.add(from, to, "")
	for _, p := range phrases {
		g.words(from, to, strings.Fields(p)...)
	}
}

// hash names the grammar's text.
func (g *fsg) hash() string {
	sum := sha256.Sum256([]byte(g.text()))
	return hex.EncodeToString(sum[:8])
}

// vocabulary lists the distinct words of the grammar.
func (g *fsg) vocabulary() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range g.trans {
		if t.word != "" && !seen[t.word] {
			seen[t.word] = true
			out = append(out, t.word)
		}
	}
	return out
}
