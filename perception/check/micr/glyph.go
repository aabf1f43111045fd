// Package micr reads the E-13B MICR line printed along the bottom of a bank check: it locates the
// line, segments it into characters on the 0.125-in pitch, classifies them and parses the routing,
// account and check-number fields.
//
// Cropped lines are read by a small classifier learned from real print (model/e13b.bin, built by
// `parley micr train` from the public E-13B line set and lines drawn from the geometry below; its
// sha256 in model/e13b.sha256), which segments and names the characters together on the pitch
// grid. The standard's glyph geometry defined here is the prior: the templates made from it read
// whole checks, and crops the classifier is unsure of. The same geometry renders the glyphs (the
// checkgen package draws its MICR lines with RenderLine).
package micr

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Symbol runes as the reader prints them. The E-13B symbols have Unicode code points (U+2446..U+2449)
// but plain letters survive logs, JSON and terminals.
const (
	Transit = 'T' // ⑆ U+2446, brackets the routing number
	Amount  = 'A' // ⑇ U+2447, brackets the encoded amount
	OnUs    = 'U' // ⑈ U+2448, ends the account number (and brackets the auxiliary on-us field)
	Dash    = 'D' // ⑉ U+2449, separates parts of a number
)

// Grid constants of the E-13B design, in inches.
const (
	UnitInch   = 0.013 // one square of the design grid
	PitchInch  = 0.125 // character pitch, 8 characters per inch
	HeightInch = 0.117 // digit height, 9 units
	// PitchUnits is the character pitch in grid units (0.125 / 0.013).
	PitchUnits = PitchInch / UnitInch
	// GlyphRows is the digit height in grid units.
	GlyphRows = 9
)

// Rect is an axis-aligned piece of a glyph in grid units: X0 <= x < X1 from the glyph's left edge,
// Y0 <= y < Y1 down from the top of the 9-unit character band.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// Glyph is one E-13B character drawn as a union of rectangles on the 0.013-in grid.
type Glyph struct {
	Rune  rune
	Width float64 // ink width in units (4 to 7)
	Rects []Rect
}

// r builds a Rect from coordinates in thirds of a unit, the resolution the shapes are drawn at.
func r(x0, y0, x1, y1 float64) Rect { return Rect{x0 / 3, y0 / 3, x1 / 3, y1 / 3} }

// glyphs holds the 14 shapes. Coordinates are in thirds of a unit (a 21x27 grid for a 7-unit-wide
// glyph); widths follow the standard (1 and 2: 4 units; 0, 8 and the symbols: 7 units). The
// outlines were drawn from rendered and real E-13B lines: thin 2/3-unit strokes above, the heavy
// lower parts that give 1, 3, 4, 8 and 9 their magnetic signature, and the symbols' bar patterns.
var glyphs = []Glyph{
	{'0', 7, []Rect{
		r(3, 0, 18, 2), r(3, 25, 18, 27), r(0, 3, 2, 24), r(19, 3, 21, 24),
		r(1, 1, 4, 3), r(17, 1, 20, 3), r(1, 24, 4, 26), r(17, 24, 20, 26),
	}},
	{'1', 4, []Rect{
		r(0, 0, 5, 4), r(3, 4, 5, 15), r(2, 14, 6, 15), r(0, 15, 12, 27),
	}},
	{'2', 4, []Rect{
		r(0, 0, 12, 2), r(8, 2, 12, 3), r(10, 2, 12, 13), r(8, 12, 12, 13),
		r(0, 13, 12, 15), r(0, 15, 3, 17), r(0, 15, 2, 25), r(0, 24, 4, 25), r(0, 25, 12, 27),
	}},
	{'3', 5, []Rect{
		r(0, 0, 11, 2), r(7, 2, 11, 3), r(9, 2, 11, 13), r(7, 12, 11, 13),
		r(0, 13, 12, 14), r(0, 14, 15, 15), r(8, 15, 15, 16), r(9, 15, 15, 25), r(7, 24, 15, 25), r(0, 25, 15, 27),
	}},
	{'4', 6, []Rect{
		r(0, 0, 5, 21), r(12, 15, 18, 21), r(0, 18, 18, 21), r(11, 21, 18, 22), r(12, 21, 18, 27),
	}},
	{'5', 5, []Rect{
		r(0, 0, 15, 2), r(0, 2, 4, 3), r(0, 2, 3, 4), r(0, 2, 2, 13), r(0, 11, 3, 12), r(0, 12, 4, 13),
		r(0, 13, 15, 15), r(11, 15, 15, 16), r(13, 15, 15, 25), r(10, 24, 15, 25), r(0, 25, 15, 27),
	}},
	{'6', 6, []Rect{
		r(0, 0, 11, 2), r(0, 2, 4, 3), r(7, 2, 11, 3), r(9, 2, 11, 7), r(0, 2, 2, 25),
		r(0, 14, 3, 15), r(0, 15, 4, 16), r(0, 16, 18, 18), r(14, 18, 18, 19), r(16, 18, 18, 25),
		r(0, 24, 4, 25), r(13, 24, 18, 25), r(0, 25, 18, 27),
	}},
	{'7', 5, []Rect{
		r(0, 0, 15, 2), r(0, 2, 4, 3), r(10, 2, 15, 3), r(0, 2, 2, 8), r(0, 3, 3, 4),
		r(13, 2, 15, 12), r(10, 11, 15, 12), r(7, 12, 15, 13), r(6, 13, 11, 14), r(6, 14, 9, 15), r(6, 13, 8, 27),
	}},
	{'8', 7, []Rect{
		r(3, 0, 17, 2), r(3, 2, 7, 3), r(14, 2, 17, 3), r(3, 2, 5, 12), r(15, 2, 17, 12), r(3, 10, 6, 12), r(14, 10, 17, 12),
		r(3, 12, 18, 13), r(1, 13, 20, 14), r(0, 14, 7, 15), r(13, 14, 21, 15),
		r(0, 14, 5, 25), r(15, 14, 21, 24), r(0, 24, 21, 27),
	}},
	{'9', 6, []Rect{
		r(0, 0, 18, 2), r(0, 2, 4, 3), r(13, 2, 18, 3), r(0, 2, 2, 13), r(16, 2, 18, 15),
		r(0, 11, 3, 12), r(0, 12, 4, 13), r(13, 12, 18, 13), r(0, 13, 18, 15), r(12, 15, 18, 16), r(13, 15, 18, 27),
	}},
	{Transit, 7, []Rect{
		r(0, 5, 6, 22), r(12, 0, 21, 9), r(12, 18, 21, 27),
	}},
	{Amount, 7, []Rect{
		r(0, 14, 6, 27), r(9, 8, 12, 19), r(15, 0, 21, 12),
	}},
	{OnUs, 7, []Rect{
		r(0, 3, 2, 21), r(6, 3, 8, 21), r(13, 0, 21, 12),
	}},
	{Dash, 7, []Rect{
		r(0, 7, 5, 19), r(8, 7, 13, 19), r(16, 7, 21, 19),
	}},
}

// Glyphs returns the 14 E-13B glyphs: the digits 0-9, then Transit, Amount, OnUs and Dash.
func Glyphs() []Glyph {
	out := make([]Glyph, len(glyphs))
	copy(out, glyphs)
	return out
}

// GlyphFor returns the glyph for a rune (a digit or T, A, U, D) and whether there is one.
func GlyphFor(c rune) (Glyph, bool) {
	for _, g := range glyphs {
		if g.Rune == c {
			return g, true
		}
	}
	return Glyph{}, false
}

// coverage is the fraction of the grid-unit square [x, x+w) x [y, y+h) covered by the glyph.
func (g Glyph) coverage(x, y, w, h float64) float64 {
	// Supersample: exact rectangle-union area is not worth the code for anti-aliasing.
	const n = 4
	hit := 0
	for j := 0; j < n; j++ {
		py := y + (float64(j)+0.5)*h/n
		for i := 0; i < n; i++ {
			px := x + (float64(i)+0.5)*w/n
			if g.inside(px, py) {
				hit++
			}
		}
	}
	return float64(hit) / (n * n)
}

func (g Glyph) inside(x, y float64) bool {
	for _, q := range g.Rects {
		if x >= q.X0 && x < q.X1 && y >= q.Y0 && y < q.Y1 {
			return true
		}
	}
	return false
}

// Draw renders the glyph into dst with its top-left corner at (x, y) pixels, scale pixels per grid
// unit, anti-aliased, in colour c over what is there.
func (g Glyph) Draw(dst draw.Image, x, y, scale float64, c color.Color) {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	x1, y1 := int(math.Ceil(x+g.Width*scale)), int(math.Ceil(y+GlyphRows*scale))
	b := dst.Bounds()
	cr, cg, cb, _ := c.RGBA()
	for py := max(y0, b.Min.Y); py < min(y1, b.Max.Y); py++ {
		for px := max(x0, b.Min.X); px < min(x1, b.Max.X); px++ {
			a := g.coverage((float64(px)-x)/scale, (float64(py)-y)/scale, 1/scale, 1/scale)
			if a == 0 {
				continue
			}
			or, og, ob, _ := dst.At(px, py).RGBA()
			mix := func(bg, fg uint32) uint16 { return uint16(float64(bg)*(1-a) + float64(fg)*a) }
			dst.Set(px, py, color.RGBA64{mix(or, cr), mix(og, cg), mix(ob, cb), 0xffff})
		}
	}
}

// Advance is the horizontal distance, in pixels, from one character position to the next at the
// given scale (pixels per grid unit).
func Advance(scale float64) float64 { return PitchUnits * scale }

// RenderLine draws a MICR line (digits, T, A, U, D and spaces) into dst. Each character occupies one
// 0.125-in position with its right edge aligned in the position, as printers place E-13B; a space
// is an empty position. (x, y) is the top-left of the first position and scale is pixels per grid
// unit (300 dpi: 3.9). It returns the box of each drawn character, spaces omitted.
func RenderLine(dst draw.Image, text string, x, y, scale float64, c color.Color) []image.Rectangle {
	var boxes []image.Rectangle
	adv := Advance(scale)
	for i, ch := range []rune(text) {
		g, ok := GlyphFor(ch)
		if !ok {
			continue
		}
		right := x + float64(i+1)*adv - 1.3*scale
		gx := right - g.Width*scale
		g.Draw(dst, gx, y, scale, c)
		boxes = append(boxes, image.Rect(int(gx), int(y), int(math.Ceil(right)), int(math.Ceil(y+GlyphRows*scale))))
	}
	return boxes
}

// LineImage renders text as a stand-alone black-on-white MICR line image with a margin of one
// position around it, at scale pixels per grid unit.
func LineImage(text string, scale float64) *image.Gray {
	n := len([]rune(text))
	adv := Advance(scale)
	w := int(math.Ceil(float64(n+2) * adv))
	h := int(math.Ceil(GlyphRows*scale + 2*adv/2))
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	RenderLine(img, text, adv, adv/2, scale, color.Black)
	return img
}
