package check

import (
	"image"
	"sort"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/perception/ocr"
)

// PayeeChars is the character set of a payee line: names of people and businesses.
const PayeeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,&'-/#"

// Payee confidence. The payee's Confidence is the lowest word confidence of the name as read
// from its own crop (Tesseract's, 0..1): one doubtful word makes a doubtful name. It is capped
// at PayeeDisagree when the full-page reading of the same line gives another name, and at
// PayeeUncropped when no crop reading was possible and the name comes from the page alone.
// Below PayeeConfident the name should be asked about rather than read back as certain.
const (
	PayeeConfident = 0.6
	PayeeDisagree  = 0.45
	PayeeUncropped = 0.55
)

// cutPayee keeps the words that are the payee's name: the words are grouped where the gap
// between neighbours is wider than about three letters' height (a name's words are set close;
// a stray mark, the end of the rule or a "$" read as a word stand apart), the group with the most
// letters is kept, and short weak words at its ends are dropped.
func cutPayee(ws []ocr.Word) []ocr.Word {
	var keep []ocr.Word
	tallest := 0
	for _, w := range ws {
		if strings.Trim(w.Text, "*-_=~—.|:;'\"`") != "" {
			keep = append(keep, w)
			tallest = max(tallest, w.Box.Dy())
		}
	}
	if len(keep) == 0 {
		return nil
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].Box.Min.X < keep[j].Box.Min.X })
	// The rule under the line read as words gives boxes a pixel or two high; they would make
	// the median height, and with it the gap that splits words, tiny.
	var hs []int
	for _, w := range keep {
		if w.Box.Dy()*3 >= tallest {
			hs = append(hs, w.Box.Dy())
		}
	}
	sort.Ints(hs)
	h := float64(max(hs[len(hs)/2], 1))
	var groups [][]ocr.Word
	start := 0
	for i := 1; i <= len(keep); i++ {
		if i == len(keep) || float64(keep[i].Box.Min.X-keep[i-1].Box.Max.X) > 2.5*h {
			groups = append(groups, keep[start:i])
			start = i
		}
	}
	best, bestN := groups[0], -1
	for _, g := range groups {
		n := 0
		for _, w := range g {
			n += int(float64(len([]rune(w.Text))) * (0.5 + w.Confidence))
		}
		if n > bestN {
			best, bestN = g, n
		}
	}
	weak := func(w ocr.Word) bool {
		t := strings.Trim(w.Text, ".,'-")
		return len([]rune(t)) <= 1 || len([]rune(t)) <= 3 && w.Confidence < 0.5
	}
	for len(best) > 1 && weak(best[len(best)-1]) {
		best = best[:len(best)-1]
	}
	for len(best) > 1 && (weak(best[0]) || labelRemnant(best[0], best[1])) {
		best = best[1:]
	}
	best = trimDoubtful(best)
	if len(best) == 1 && weak(best[0]) {
		return nil // a lone mark on an empty line is no name
	}
	return best
}

// trimDoubtful drops the words after a name that are print behind the line read as words
// (safety paper's pattern, a signature's tail): a word Tesseract is almost sure it misread
// (confidence under 0.2), or a doubtful word in capitals after a name written in mixed case.
func trimDoubtful(ws []ocr.Word) []ocr.Word {
	mixed := false
	for i, w := range ws {
		t := strings.Trim(w.Text, ".,'-")
		caps := t != "" && strings.ToUpper(t) == t && strings.ToLower(t) != t
		if i > 0 && (w.Confidence < 0.2 || caps && mixed && w.Confidence < 0.45) {
			return ws[:i]
		}
		mixed = mixed || strings.ToLower(t) != t && !caps
	}
	return ws
}

// labelRemnant reports whether w, first on the line, is the end of the printed label read into the
// crop: a word of the label, or a short lowercase word before a capitalised one (names are
// capitalised; "of" cut in half reads "or", "wor").
func labelRemnant(w, next ocr.Word) bool {
	t := strings.Trim(w.Text, ".,:;'-")
	if label[strings.ToLower(t)] {
		return true
	}
	rs := []rune(t)
	nx := []rune(next.Text)
	return len(rs) <= 3 && strings.ToLower(t) == t && len(nx) > 0 && unicode.IsUpper(nx[0])
}

// memoLike reports whether a normalised word is the MEMO label as small print reads: four
// letters, each close to the label's (m/n/w, e/a/c, m/n/w, o/a/0).
func memoLike(s string) bool {
	if len(s) != 4 {
		return false
	}
	sets := []string{"mnw", "eac", "mnw", "oa0"}
	for i := 0; i < 4; i++ {
		if !strings.ContainsRune(sets[i], rune(s[i])) {
			return false
		}
	}
	return true
}

// sameWord reports whether two boxes hold the same word: centres within each other and widths
// alike.
func sameWord(a, b image.Rectangle) bool {
	ca, cb := (a.Min.X+a.Max.X)/2, (b.Min.X+b.Max.X)/2
	wa, wb := float64(a.Dx()), float64(b.Dx())
	return ca >= b.Min.X && ca < b.Max.X && cb >= a.Min.X && cb < a.Max.X && wa < 1.6*wb && wb < 1.6*wa
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}

// minConf is the lowest word confidence.
func minConf(ws []ocr.Word) float64 {
	if len(ws) == 0 {
		return 0
	}
	m := ws[0].Confidence
	for _, w := range ws[1:] {
		m = min(m, w.Confidence)
	}
	return m
}

// payeeText joins a name's words and trims the fill around it.
func payeeText(ws []ocr.Word) string { return strings.Trim(joinWords(ws), "*-_=~— ,") }

// payeeRegion is the part of the payee line the name is printed or written in: right of the
// label, left of the courtesy amount's box or "$", from half a line above the words to just
// above the rule they sit on.
func payeeRegion(band []ocr.Word, left, right int, anchor ocr.Word) image.Rectangle {
	b := anchor.Box
	for _, w := range band {
		if w.Box.Min.X >= left && w.Box.Max.X <= right {
			b = b.Union(w.Box)
		}
	}
	h := anchor.Box.Dy()
	return image.Rect(left+1, b.Min.Y-h*6/10, right, b.Max.Y+h/5)
}

// choosePayee settles the payee from the crop's words and the page's: the crop's name when it
// read one, its confidence as the payee constants above describe.
//
// A crop word that the page read differently with more confidence is taken from the page.
func choosePayee(crop, page []ocr.Word, how string) Field {
	return chooseLine(crop, page, how, true)
}

// chooseLine is choosePayee for any handwritten or typed line; names says whether a word the
// page read capitalised and the crop did not takes the page's capital (names are capitalised;
// a memo need not be).
func chooseLine(crop, page []ocr.Word, how string, names bool) Field {
	c, p := cutPayee(crop), cutPayee(page)
	c = append([]ocr.Word(nil), c...)
	for i, w := range c {
		for _, q := range p {
			if !sameWord(w.Box, q.Box) || q.Text == w.Text || len([]rune(q.Text)) > len([]rune(w.Text))+2 {
				continue // not the same word, or the page ran it into its neighbour
			}
			caseOnly := names && strings.EqualFold(q.Text, w.Text) && startsUpper(q.Text) && !startsUpper(w.Text)
			if q.Confidence > w.Confidence || caseOnly {
				c[i].Text, c[i].Confidence = q.Text, max(q.Confidence, min(w.Confidence, q.Confidence))
			}
		}
	}
	switch {
	case len(c) > 0:
		f := Field{Text: payeeText(c), Confidence: minConf(c), Box: wordsBox(c, image.Rectangle{}), How: "crop"}
		if len(p) > 0 && norm(strings.Join(strings.Fields(payeeText(p)), "")) != norm(strings.Join(strings.Fields(f.Text), "")) {
			f.Confidence = min(f.Confidence, PayeeDisagree)
		}
		return f
	case len(p) > 0:
		return Field{Text: payeeText(p), Confidence: min(minConf(p), PayeeUncropped), Box: wordsBox(p, image.Rectangle{}), How: how}
	}
	return Field{}
}
