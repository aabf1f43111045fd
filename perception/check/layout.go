package check

import (
	"image"
	"slices"

	"github.com/parleyhq/parley/perception/ocr"
)

// layout answers geometric questions about the words of a page.
type layout struct {
	W, H  int
	words []ocr.Word
}

// find returns the first word whose normalised text satisfies ok.
func (l layout) find(ok func(string) bool) (ocr.Word, bool) {
	for _, w := range l.words {
		if ok(norm(w.Text)) {
			return w, true
		}
	}
	return ocr.Word{}, false
}

// sameBand reports whether two words sit on the same text line.
func (l layout) sameBand(a, b ocr.Word) bool {
	ca := (a.Box.Min.Y + a.Box.Max.Y) / 2
	return ca > b.Box.Min.Y-b.Box.Dy()/2 && ca < b.Box.Max.Y+b.Box.Dy()/2
}

// band returns the words on the anchor's text line, left to right.
func (l layout) band(a ocr.Word) []ocr.Word {
	var out []ocr.Word
	for _, w := range l.words {
		c := (w.Box.Min.Y + w.Box.Max.Y) / 2
		h := max(a.Box.Dy(), 10)
		if c >= a.Box.Min.Y-h*6/10 && c <= a.Box.Max.Y+h*6/10 {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(x, y ocr.Word) int { return x.Box.Min.X - y.Box.Min.X })
	return out
}

// rightOf returns the nearest word right of a on its line within maxGap pixels.
func (l layout) rightOf(a ocr.Word, maxGap float64) (ocr.Word, bool) {
	for _, w := range l.band(a) {
		if w.Box.Min.X > a.Box.Max.X && float64(w.Box.Min.X-a.Box.Max.X) < maxGap {
			return w, true
		}
	}
	return ocr.Word{}, false
}

// in returns the words whose centre lies in b.
func (l layout) in(b image.Rectangle) []ocr.Word {
	var out []ocr.Word
	for _, w := range l.words {
		c := image.Pt((w.Box.Min.X+w.Box.Max.X)/2, (w.Box.Min.Y+w.Box.Max.Y)/2)
		if c.In(b) {
			out = append(out, w)
		}
	}
	return out
}

func (l layout) wordsRight(a ocr.Word, maxX int) []ocr.Word {
	var ws []ocr.Word
	for _, w := range l.band(a) {
		if w.Box.Min.X > a.Box.Max.X && w.Box.Max.X <= maxX {
			ws = append(ws, w)
		}
	}
	return ws
}

func (l layout) textRight(a ocr.Word, maxX int) string { return joinWords(l.wordsRight(a, maxX)) }
func (l layout) confRight(a ocr.Word, maxX int) float64 {
	return meanConf(l.wordsRight(a, maxX))
}
func (l layout) boxRight(a ocr.Word, maxX int) image.Rectangle {
	return wordsBox(l.wordsRight(a, maxX), a.Box)
}

// legalLine finds the legal amount: the text line with the most number words, cut at DOLLARS.
func (l layout) legalLine(dollars ocr.Word, hasDollars bool) (string, float64, image.Rectangle) {
	var best []ocr.Word
	bestN := 0
	var lines [][]ocr.Word
	for i, w := range l.words {
		if i == 0 || w.Block != l.words[i-1].Block || w.Line != l.words[i-1].Line {
			lines = append(lines, nil)
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], w)
	}
	if hasDollars {
		lines = append(lines, l.band(dollars))
	}
	for _, line := range lines {
		n := 0
		for _, w := range line {
			t := correct(norm(w.Text))
			if _, ok := smallNumbers[t]; ok || scales[t] != 0 {
				n++
			}
			if centsCutRe.MatchString(w.Text) {
				n += 3
			}
		}
		if n > 0 && line[0].Box.Min.Y < l.H/5 {
			n = 0 // the letterhead, not the legal line
		}
		if n > bestN {
			best, bestN = line, n
		}
	}
	if bestN == 0 {
		return "", 0, image.Rectangle{}
	}
	var ws []ocr.Word
	for _, w := range best {
		if norm(w.Text) == "dollars" {
			break
		}
		ws = append(ws, w)
	}
	ws = trimNoise(ws)
	return joinWords(ws), meanConf(ws), wordsBox(ws, image.Rectangle{})
}
