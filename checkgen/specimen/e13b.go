// Package specimen is a second check renderer, independent of checkgen and of the MICR reader:
// the printed fields are set by ImageMagick in Debian's fonts, and the MICR line is drawn from the
// E-13B standard's dimensions alone (the 0.013-in design grid, digit height 9 units, on-us 7 and
// dash 4, widths of 4 to 7 units, the 0.125-in pitch and the print band's place) as strokes whose
// weight can be thin, nominal, bold or spread like ink on absorbent paper. None of the reader's
// glyph outlines, templates or model is used, so what the reader scores here it did not draw.
package specimen

import (
	"fmt"
	"math"
	"strings"
)

// E-13B dimensions, in inches.
const (
	unit      = 0.013 // the design grid's square
	pitch     = 0.125 // character pitch
	rightEdge = 5.0 / 16
	// The glyphs' foot sits in the middle of the print band (3/16 to 7/16 in above the bottom).
	footAbove = 0.25 - (0.25-9*unit)/2
)

// Weight is the stroke weight the MICR line is printed at.
type Weight string

// The weights a specimen may be printed at.
const (
	Thin    Weight = "thin"    // strokes 0.25 unit thinner on each side (a light toner)
	Nominal Weight = "nominal" // the standard's strokes
	Bold    Weight = "bold"    // strokes 0.25 unit heavier on each side
	Spread  Weight = "spread"  // heavy strokes blurred and rounded, like ink spread in paper
)

// Weights lists every weight.
var Weights = []Weight{Thin, Nominal, Bold, Spread}

// grow is how much each stroke edge moves out, in units.
func (w Weight) grow() (float64, error) {
	switch w {
	case Thin:
		return -0.22, nil
	case Nominal, "":
		return 0, nil
	case Bold:
		return 0.25, nil
	case Spread:
		return 0.18, nil
	}
	return 0, fmt.Errorf("specimen: unknown weight %q", w)
}

// box is a stroke of a glyph in units: x from the glyph's left edge, y down from the top of the
// 9-unit band.
type box struct{ x0, y0, x1, y1 float64 }

// shape is one character: its ink width in units and its strokes.
type shape struct {
	width float64
	boxes []box
}

// Strokes: t is the thin stroke of the upper parts (one unit), h the heavy lower parts that give
// a glyph its magnetic signal (two to three units), as the standard draws them.
var shapes = map[rune]shape{
	'0': {7, []box{{0.9, 0, 6.1, 1}, {0.9, 8, 6.1, 9}, {0, 0.6, 1.6, 8.4}, {5.4, 0.6, 7, 8.4}}},
	'1': {4, []box{{0.3, 0, 2.7, 1.2}, {1.7, 0, 2.7, 5.6}, {0, 5.6, 4, 9}}},
	'2': {4, []box{{0, 0, 4, 1}, {3, 0, 4, 4.8}, {0, 4.2, 4, 5.2}, {0, 4.6, 1.1, 8}, {0, 7.6, 4, 9}}},
	'3': {5, []box{{0, 0, 3.9, 1}, {2.9, 0, 3.9, 4.6}, {0.3, 4.2, 5, 5.1}, {2.9, 4.6, 5, 9}, {0, 7.9, 5, 9}}},
	'4': {6, []box{{0, 0, 1.7, 7}, {0, 5.9, 6, 7}, {4, 4.8, 6, 9}}},
	'5': {5, []box{{0, 0, 5, 1}, {0, 0, 1, 5}, {0, 4.2, 5, 5.1}, {3.6, 4.2, 5, 9}, {0, 8, 5, 9}}},
	'6': {6, []box{{0, 0, 3.7, 1}, {2.8, 0, 3.7, 2.3}, {0, 0, 1, 9}, {0, 5.1, 6, 6.1}, {4.6, 5.1, 6, 9}, {0, 7.9, 6, 9}, {0, 5.1, 1.4, 9}}},
	'7': {5, []box{{0, 0, 5, 1}, {0, 0, 1, 2.6}, {4, 0, 5, 4.3}, {2.2, 3.7, 5, 4.7}, {2, 4.2, 3, 9}}},
	'8': {7, []box{{0.9, 0, 5.9, 1}, {0.9, 0, 1.8, 4.5}, {5, 0, 5.9, 4.5}, {0, 4.1, 7, 5.1}, {0, 4.5, 1.9, 9}, {4.9, 4.5, 7, 9}, {0, 7.8, 7, 9}}},
	'9': {6, []box{{0, 0, 6, 1}, {0, 0, 1, 5.1}, {0, 4.2, 6, 5.2}, {5, 0, 6, 5}, {4.1, 4.6, 6, 9}}},
	'T': {7, []box{{0, 1.6, 2, 7.4}, {4, 0, 7, 3}, {4, 6, 7, 9}}},
	'A': {7, []box{{0, 4.6, 2, 9}, {3, 2.6, 4, 6.4}, {5, 0, 7, 4}}},
	'U': {7, []box{{0, 1, 0.9, 7}, {2.1, 1, 3, 7}, {4.4, 0, 7, 4}}},
	'D': {7, []box{{0, 2.3, 1.7, 6.3}, {2.65, 2.3, 4.35, 6.3}, {5.3, 2.3, 7, 6.3}}},
}

// MICRDraw returns ImageMagick draw primitives (rectangles) for a MICR line on a check widthIn by
// heightIn inches at dpi, weight w. line is in the reader's alphabet (digits, T transit, A amount,
// U on-us, D dash, a space for a blank position); its first character is printed at position
// first, counted from the right edge as the standard numbers them (43 for a routing field's
// opening transit symbol). Each character is set flush right in its 0.125-in position.
func MICRDraw(line string, first int, widthIn, heightIn, dpi float64, w Weight) (string, error) {
	g, err := w.grow()
	if err != nil {
		return "", err
	}
	rs := []rune(line)
	if first < len(rs) || first > 65 {
		return "", fmt.Errorf("specimen: a %d-character line cannot start at position %d", len(rs), first)
	}
	px := dpi * unit // pixels a unit
	foot := (heightIn - footAbove) * dpi
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' {
			continue
		}
		s, ok := shapes[r]
		if !ok {
			return "", fmt.Errorf("specimen: %q is not an E-13B character", r)
		}
		pos := first - i
		// Position n spans 5/16+(n-1)/8 to 5/16+n/8 in from the right edge; the glyph's right edge
		// is the position's right edge less the 1/300 in printers leave between characters.
		right := (widthIn - rightEdge - float64(pos-1)*pitch - 1.0/300) * dpi
		left := right - s.width*px
		top := foot - 9*px
		for _, q := range s.boxes {
			x0 := left + (q.x0-g)*px
			x1 := left + (q.x1+g)*px
			y0 := top + (q.y0-g)*px
			y1 := top + (q.y1+g)*px
			fmt.Fprintf(&b, "rectangle %.2f,%.2f %.2f,%.2f ", x0, y0, math.Max(x1-1, x0), math.Max(y1-1, y0))
		}
	}
	return b.String(), nil
}
