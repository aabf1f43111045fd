package micr

import (
	"hash/fnv"
	"math"
	"math/rand"
)

// rejectClass is the classifier's extra output for a window that is not one character: part of
// a glyph (one bar of a symbol, half of a broken digit), two glyphs' halves, or a glyph and a
// piece of its neighbour. The decoder then sees such windows as unlikely characters instead of
// naming them, which keeps it from inserting or merging characters.
var rejectClass = len(glyphs)

// negatives cuts windows that are not characters from a labelled line: every group of
// consecutive pieces the decoder would consider whose span is none of the line's characters
// (cells), at most one per character, chosen the same way every time for the same line.
func (gl gridLine) negatives(cells []cell, truth string) []sample {
	ps := pieces(columnInk(gl.strip))
	const P = nominalPitch
	var spans []cell
	for j := range ps {
		for i := j; i >= 0; i-- {
			x0, x1 := ps[i][0], ps[j][1]
			if float64(x1-x0) > maxSpan*P {
				break
			}
			if !isCharacter(x0, x1, cells) {
				spans = append(spans, cell{right: x1, x0: x0, x1: x1})
			}
		}
	}
	h := fnv.New64a()
	h.Write([]byte(truth))
	rng := rand.New(rand.NewSource(int64(h.Sum64() >> 1)))
	rng.Shuffle(len(spans), func(a, b int) { spans[a], spans[b] = spans[b], spans[a] })
	var out []sample
	for _, c := range spans[:min(len(spans), len(cells))] {
		out = append(out, gl.sampleAt(c, rejectClass))
	}
	return out
}

// isCharacter reports whether the span [x0, x1) is one of the characters: its right edge within
// 3 pixels of the character's and its left within a third of a pitch.
func isCharacter(x0, x1 int, cells []cell) bool {
	for _, c := range cells {
		if math.Abs(float64(x1-c.right)) <= 3 && math.Abs(float64(x0-c.x0)) <= nominalPitch/3 {
			return true
		}
	}
	return false
}

// sampleAt cuts the padded training window of a span of the strip, labelled k.
func (gl gridLine) sampleAt(c cell, k int) sample {
	pw, ph := winW+2*trainPad, winH+2*trainPad
	win := make([]uint8, pw*ph)
	left := c.right - winW + 1 - trainPad
	for y := 0; y < ph; y++ {
		sy := winY0 + y - trainPad
		for x := 0; x < pw; x++ {
			sx := left + x
			if sy < 0 || sy >= gl.strip.h || sx < c.x0-1 || sx >= c.x1+1 || sx < 0 || sx >= gl.strip.w {
				continue
			}
			win[y*pw+x] = uint8(math.Round(float64(gl.strip.p[sy*gl.strip.w+sx]) * 255))
		}
	}
	return sample{win: win, class: k}
}
