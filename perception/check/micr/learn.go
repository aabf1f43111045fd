package micr

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// gridLine is a crop resampled to the reading scale and cut into its characters.
type gridLine struct {
	strip    plane
	cells    []cell
	top, bot float64 // the band in the crop's rows
	parts    []part  // where the strip's columns come from
}

// part maps a run of strip columns back to the crop: strip column X (X0 <= X < X1) is crop column
// cx0 + (X-X0)*sx.
type part struct {
	X0, X1 int
	cx0    float64
	sx     float64
}

// cropX maps a strip column to the crop's.
func (gl *gridLine) cropX(X int) float64 {
	for _, p := range gl.parts {
		if X < p.X1 || p.X1 == gl.parts[len(gl.parts)-1].X1 {
			return p.cx0 + float64(X-p.X0)*p.sx
		}
	}
	return 0
}

// gridOf normalises a cropped line to the reading scale. Fields of a real line are often printed
// apart, at another size and another pitch (the amount, a serial added later), so each group of
// characters set apart by a blank position is scaled on its own: its band to 9 units and its
// measured pitch to the nominal one (photographed and rescaled lines are rarely in the standard's
// proportions).
func gridOf(img image.Image) (gridLine, bool) {
	g := toGray(img)
	ink, ok := cropInk(g)
	if !ok {
		return gridLine{}, false
	}
	if t := estimateSkew(ink); math.Abs(t) > 0.005 {
		ink = shearRows(ink, t)
	}
	top, bot, ok := bandOf(ink)
	if !ok {
		return gridLine{}, false
	}
	sx := (bot - top) / GlyphRows / scaleS
	strip := cropStrip(ink, top, bot, sx)
	pitch := estimatePitch(runs(columnInk(strip)), nominalPitch) // strip columns
	gsx := sx * pitch / nominalPitch
	// Groups: runs of inked crop columns (over the whole height) closer than 0.8 pitch.
	colAll := make([]float32, ink.w)
	for y := 0; y < ink.h; y++ {
		for x, v := range ink.p[y*ink.w : (y+1)*ink.w] {
			colAll[x] += v
		}
	}
	var groups [][2]int
	gap := 0.8 * pitch * sx
	for _, r := range runs(colAll) {
		if n := len(groups); n > 0 && float64(r[0]-groups[n-1][1]) < gap {
			groups[n-1][1] = r[1]
		} else {
			groups = append(groups, r)
		}
	}
	gl := gridLine{top: top, bot: bot}
	var subs []plane
	X := 0
	prevEnd := -1
	for _, gr := range groups {
		cx0, cx1 := max(gr[0]-2, 0), min(gr[1]+2, ink.w)
		sub := subPlane(ink, cx0, cx1)
		t, b, s := top, bot, gsx
		if float64(cx1-cx0) >= 2.5*pitch*sx {
			if t2, b2, ok := bandOf(sub); ok && b2-t2 > 0.6*(bot-top) && b2-t2 < 1.6*(bot-top) {
				t, b = t2, b2
				s0 := (b - t) / GlyphRows / scaleS
				st := cropStrip(sub, t, b, s0)
				if float64(cx1-cx0) >= 4*pitch*sx {
					s = s0 * estimatePitch(runs(columnInk(st)), nominalPitch) / nominalPitch
				} else {
					s = s0 * pitch / nominalPitch // the line's proportions
				}
			}
		}
		st := cropStrip(sub, t, b, s)
		if prevEnd >= 0 {
			X += max(int(math.Round(float64(cx0-prevEnd)/gsx)), 4)
		}
		gl.parts = append(gl.parts, part{X0: X, X1: X + st.w, cx0: float64(cx0), sx: s})
		subs = append(subs, st)
		X += st.w
		prevEnd = cx1
	}
	out := newPlane(max(X, 1), stripH)
	for i, st := range subs {
		x0 := gl.parts[i].X0
		for y := 0; y < stripH; y++ {
			copy(out.p[y*out.w+x0:y*out.w+x0+st.w], st.p[y*st.w:(y+1)*st.w])
		}
	}
	gl.strip = out
	gl.cells = segment(columnInk(out))
	return gl, true
}

// trimEnds drops a group of one or two weakly read characters set two or more positions apart
// at either end of a line: a crop's corners, a rotated scan's fill or a mark beside the line.
func trimEnds(chars []placed, cells []cell) ([]placed, []cell) {
	weak := func(cs []placed) bool {
		for _, c := range cs {
			if c.conf < 0.9 {
				return true
			}
		}
		return false
	}
	for iter := 0; iter < 2 && len(chars) > 4; iter++ {
		n := len(chars)
		for g := 1; g <= 2; g++ {
			if cells[g].k-cells[g-1].k > 2 && weak(chars[:g]) {
				chars, cells = chars[g:], cells[g:]
				break
			}
		}
		n = len(chars)
		for g := 1; g <= 2; g++ {
			if cells[n-g].k-cells[n-g-1].k > 2 && weak(chars[n-g:]) {
				chars, cells = chars[:n-g], cells[:n-g]
				break
			}
		}
	}
	return chars, cells
}

// shearRows levels a line slanted by slope t: output row y at column x samples input row
// y + (x-cx)*t.
func shearRows(p plane, t float64) plane {
	o := newPlane(p.w, p.h)
	cx := float64(p.w) / 2
	for x := 0; x < p.w; x++ {
		dy := (float64(x) - cx) * t
		for y := 0; y < p.h; y++ {
			o.p[y*p.w+x] = p.bilinear(float64(x)+0.5, float64(y)+0.5+dy, 0)
		}
	}
	return o
}

// subPlane copies columns [x0, x1) of p.
func subPlane(p plane, x0, x1 int) plane {
	o := newPlane(x1-x0, p.h)
	for y := 0; y < p.h; y++ {
		copy(o.p[y*o.w:(y+1)*o.w], p.p[y*p.w+x0:y*p.w+x1])
	}
	return o
}

// samplesOf labels a line's characters with its truth: with the plain segmentation when it finds
// as many characters as the truth has, otherwise, given a model, where align places them.
func (gl gridLine) samplesOf(truth string, m *mlp) []sample {
	rs := []rune(truth)
	if len(rs) != len(gl.cells) {
		if m == nil {
			return nil
		}
		cls := make([]int, len(rs))
		for i, r := range rs {
			if cls[i] = glyphIndex(r); cls[i] < 0 {
				return nil
			}
		}
		if gl.cells = gl.align(m, cls); gl.cells == nil {
			return nil
		}
	}
	var out []sample
	for i, c := range gl.cells {
		k := glyphIndex(rs[i])
		if k < 0 {
			return nil
		}
		out = append(out, gl.sampleAt(c, k))
	}
	if rejectNegatives {
		out = append(out, gl.negatives(gl.cells, truth)...)
	}
	return out
}

// rejectNegatives says whether training adds windows that are not characters (rejectClass).
var rejectNegatives = true

// glyphIndex is the class of a character: its index in glyphs, or -1.
func glyphIndex(r rune) int {
	for i, g := range glyphs {
		if g.Rune == r {
			return i
		}
	}
	return -1
}

// classifyCells names each occupied position with the model. It returns the characters with their
// probabilities; the space between characters more than one position apart is marked by gap.
func (gl gridLine) classifyCells(m *mlp) []placed {
	w := make([]float32, winW*winH)
	x := make([]float32, nFeat)
	h := make([]float32, m.hid)
	p := make([]float32, m.out)
	out := make([]placed, 0, len(gl.cells))
	for _, c := range gl.cells {
		window(gl.strip, c, 0, 0, w)
		pool(w, x)
		m.forward(x, h, p)
		bi := 0
		for k := range p[:len(glyphs)] {
			if p[k] > p[bi] {
				bi = k
			}
		}
		pl := placed{r: glyphs[bi].Rune, x0: c.right - int(math.Round(glyphs[bi].Width*scaleS)), x1: c.right, score: float64(p[bi]), conf: float64(p[bi])}
		for d := 0; d < 10; d++ {
			pl.digit[d] = p[d]
		}
		out = append(out, pl)
	}
	return out
}

// readCrop reads a cropped line on its pitch grid with the model.
func readCrop(m *mlp, img image.Image) (Line, error) {
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	if b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d is too large", ErrBadImage, b.Dx(), b.Dy())
	}
	gl, ok := gridOf(img)
	if !ok {
		return Line{}, ErrNoLine
	}
	chars := gl.decode(m)
	if len(chars) == 0 {
		return Line{}, ErrNoLine
	}
	repairRouting(chars)
	chars, gl.cells = trimEnds(chars, gl.cells)
	var l Line
	var sb strings.Builder
	l.Confidence = 1
	for i, c := range chars {
		if i > 0 && gl.cells[i].k-gl.cells[i-1].k > 1 {
			sb.WriteByte(' ')
		}
		sb.WriteRune(c.r)
		box := image.Rect(int(gl.cropX(c.x0)), int(gl.top), int(math.Ceil(gl.cropX(c.x1))), int(math.Ceil(gl.bot))).Add(b.Min)
		l.Chars = append(l.Chars, Char{Rune: c.r, Box: box, Confidence: c.conf})
		l.Box = l.Box.Union(box)
		l.Confidence = math.Min(l.Confidence, c.conf)
	}
	l.Text = sb.String()
	l.ParseFields()
	return l, nil
}
