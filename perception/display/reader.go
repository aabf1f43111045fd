package display

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sort"
)

// ErrNoDisplay is returned when no display characters are found.
var ErrNoDisplay = errors.New("display: no seven-segment or dot-matrix display found")

// lit reports whether a pixel looks like a lit segment while the display is being located: a
// bright, saturated colour (red, green, amber, blue LEDs), where panels, walls and print are
// greys or muted colours.
func lit(r, g, b int) bool {
	hi, lo := max(r, g, b), min(r, g, b)
	return hi >= 120 && (hi-lo)*100 >= hi*55
}

// dark reports whether a pixel looks like a dark segment of a liquid-crystal display while the
// display is being located: dark and nearly grey, where the panel behind it is light.
func dark(r, g, b int) bool {
	hi, lo := max(r, g, b), min(r, g, b)
	return hi < 100 && hi-lo < 45
}

// Polarity says how a display shows its characters.
type Polarity string

// The two polarities a display reading can have.
const (
	// LightOnDark is lit LED segments on a dark window.
	LightOnDark Polarity = "light-on-dark"
	// DarkOnLight is dark liquid-crystal segments on a light (greenish or grey) panel.
	DarkOnLight Polarity = "dark-on-light"
)

// Char is one character read from a display.
type Char struct {
	Char       string          `json:"char"`
	Confidence float64         `json:"confidence"`
	Box        image.Rectangle `json:"-"`
	// Segments is the sampled pattern of a seven-segment character, bit 0 segment a through bit
	// 6 segment g.
	Segments uint8 `json:"segments,omitempty"`
	// Dots is the sampled 5x7 grid of a dot-matrix character, row by row, bit 4 the leftmost.
	Dots *[7]uint8 `json:"dots,omitempty"`
	// costs is, for a dot-matrix character, how badly each character of the font explains the
	// dots sampled (the summed sureness of the dots that disagree).
	costs map[byte]float64
}

// Reading is what was read from one display.
type Reading struct {
	Text  string `json:"text"`
	Chars []Char `json:"chars"`
	// Box is where the lit characters are, in image pixels.
	Box image.Rectangle `json:"-"`
	// Color is the mean colour of the lit segments.
	Color color.RGBA `json:"-"`
	// Confidence is the mean character confidence scaled by how well the segments stand out.
	Confidence float64 `json:"confidence"`
	// Contrast is the separation of lit and unlit pixels in the display's own colour, in [0,1].
	Contrast float64 `json:"contrast"`
	// background is the mean colour around the segments.
	background rgb
	// Polarity is whether the segments are lit on a dark window or dark on a light panel.
	Polarity Polarity `json:"polarity"`
	// Type is the kind of display read: seven-segment or dot-matrix.
	Type Type `json:"type"`
}

// Type is the kind of display a reading comes from.
type Type string

// The kinds of display the reader reads.
const (
	// SevenSegment characters are made of seven bars.
	SevenSegment Type = "sevenseg"
	// DotMatrix characters are 5x7 grids of dots.
	DotMatrix Type = "dotmatrix"
)

// RGBA converts any image to *image.RGBA (without copying one that already is).
func RGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Bounds(), img, b.Min, draw.Src)
	return m
}

// Read finds the seven-segment or dot-matrix display in img and reads it.
func Read(img image.Image) (Reading, error) {
	m := RGBA(img)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	if w < 16 || h < 16 {
		return Reading{}, ErrNoDisplay
	}
	best := Reading{}
	found := false
	for _, pol := range []struct {
		p  Polarity
		fg func(r, g, b int) bool
	}{{LightOnDark, lit}, {DarkOnLight, dark}} {
		if found && best.Confidence >= 0.8 {
			break // a confident reading of lit segments: no need to look for a dark-on-light panel
		}
		mask := make([]bool, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				mask[y*w+x] = pol.fg(int(row[4*x]), int(row[4*x+1]), int(row[4*x+2]))
			}
		}
		for _, box := range candidates(mask, w, h) {
			rd, ok := readRegion(m, box, pol.fg)
			if !ok || (pol.p == DarkOnLight && !lightPanel(rd)) {
				continue
			}
			rd.Polarity = pol.p
			if !found || score(rd) > score(best) {
				best, found = rd, true
			}
		}
	}
	if !found {
		return Reading{}, ErrNoDisplay
	}
	return best, nil
}

// lightPanel reports whether a dark-on-light reading sits on a liquid-crystal panel: the
// background is light but not paper white, and the segments are clearly darker than it.
func lightPanel(rd Reading) bool {
	return rd.background.lum() >= 90 && rd.background.lum() <= 225 && rd.Contrast >= 0.3
}

// rgb is a mean colour.
type rgb [3]float64

func (c rgb) lum() float64 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }

func score(r Reading) float64 { return r.Confidence * float64(min(len(r.Chars), 4)) }

// cell is the side in pixels of the grid the lit mask is coarsened to while locating displays.
const cell = 4

// candidates groups lit pixels into regions that may be a row of characters: connected parts of
// a coarse grid, merged along a row when they have similar heights and small gaps between them.
func candidates(lit []bool, w, h int) []image.Rectangle {
	gw, gh := (w+cell-1)/cell, (h+cell-1)/cell
	grid := make([]bool, gw*gh)
	counts := make([]uint8, gw*gh)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if lit[y*w+x] {
				i := (y/cell)*gw + x/cell
				if counts[i] < 255 {
					counts[i]++
				}
			}
		}
	}
	for i, c := range counts {
		grid[i] = c >= 2
	}
	var comps []image.Rectangle
	seen := make([]bool, len(grid))
	stack := []int{}
	for i := range grid {
		if !grid[i] || seen[i] {
			continue
		}
		r := image.Rect(i%gw, i/gw, i%gw+1, i/gw+1)
		stack = append(stack[:0], i)
		seen[i] = true
		n := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := j%gw, j/gw
			r = r.Union(image.Rect(x, y, x+1, y+1))
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= gw || ny >= gh {
						continue
					}
					k := ny*gw + nx
					if grid[k] && !seen[k] {
						seen[k] = true
						stack = append(stack, k)
					}
				}
			}
		}
		if n >= 2 {
			comps = append(comps, image.Rect(r.Min.X*cell, r.Min.Y*cell, min(w, r.Max.X*cell), min(h, r.Max.Y*cell)))
		}
	}
	// Merge parts of one row: they overlap vertically and the gap is at most the taller one's height
	// (a "1" stands a whole cell away from its left neighbour).
	sort.Slice(comps, func(i, j int) bool { return comps[i].Min.X < comps[j].Min.X })
	merged := true
	for merged {
		merged = false
		for i := 0; i < len(comps) && !merged; i++ {
			for j := i + 1; j < len(comps); j++ {
				a, b := comps[i], comps[j]
				ha, hb := a.Dy(), b.Dy()
				ov := min(a.Max.Y, b.Max.Y) - max(a.Min.Y, b.Min.Y)
				gap := max(a.Min.X, b.Min.X) - min(a.Max.X, b.Max.X)
				hm := max(ha, hb)
				// or they are the upper and lower halves of characters (a "0" or a "1" has no
				// middle segment): they overlap horizontally, one above the other, close.
				wa, wb := a.Dx(), b.Dx()
				hov := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
				vgap := max(a.Min.Y, b.Min.Y) - min(a.Max.Y, b.Max.Y)
				if (ov >= min(ha, hb)/2 && gap <= hm) || (hov >= min(wa, wb)/2 && vgap >= 0 && vgap <= hm/2) {
					comps[i] = a.Union(b)
					comps = append(comps[:j], comps[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
	var out []image.Rectangle
	for _, c := range comps {
		if c.Dy() >= 12 && c.Dx() >= c.Dy()/2 {
			out = append(out, c)
		}
	}
	return out
}

// plane is a display region thresholded in the display's own colour.
type plane struct {
	box  image.Rectangle
	on   []bool
	w, h int
	// fg and bg are the mean colours of the characters and of what is around them.
	fg, bg rgb
	// sep is the distance between the two classes' means, as a fraction of the range.
	sep float64
}

// readRegion reads the characters in box: a threshold in the display's own colour, then a 5x7
// dot grid when the lit parts are dots, otherwise a split into character cells by column gaps and
// seven segment samples per cell.
func readRegion(m *image.RGBA, box image.Rectangle, fgTest func(r, g, b int) bool) (Reading, bool) {
	p, ok := binarize(m, box, fgTest)
	if !ok {
		return Reading{}, false
	}
	if rd, ok := readDots(p); ok {
		return rd, true
	}
	return readSegments(p)
}

// binarize thresholds the widened box in the colour axis from the background to the characters.
func binarize(m *image.RGBA, box image.Rectangle, fgTest func(r, g, b int) bool) (plane, bool) {
	// Widen the box by most of a character on each side: a character washed out by glare is
	// missed while locating but still stands out in the display's own colour.
	pad := box.Dy() * 6 / 10
	box = image.Rect(box.Min.X-pad, box.Min.Y-2, box.Max.X+pad, box.Max.Y+2).Intersect(m.Bounds())
	bw, bh := box.Dx(), box.Dy()
	// Foreground and background colours from the locating threshold.
	var fg, bg [3]float64
	var nf, nb float64
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			p := m.Pix[y*m.Stride+4*x:]
			r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
			if fgTest(int(p[0]), int(p[1]), int(p[2])) {
				fg[0], fg[1], fg[2] = fg[0]+r, fg[1]+g, fg[2]+b
				nf++
			} else {
				bg[0], bg[1], bg[2] = bg[0]+r, bg[1]+g, bg[2]+b
				nb++
			}
		}
	}
	if nf < 20 || nb < 20 {
		return plane{}, false
	}
	for i := range fg {
		fg[i] /= nf
		bg[i] /= nb
	}
	d := [3]float64{fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2]}
	norm := d[0]*d[0] + d[1]*d[1] + d[2]*d[2]
	if norm < 30*30 {
		return plane{}, false
	}
	// Projection of every pixel on the background-to-segment colour axis, less its distance from
	// the axis, in [0,255].
	proj := make([]uint8, bw*bh)
	var hist [256]int
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			p := m.Pix[(box.Min.Y+y)*m.Stride+4*(box.Min.X+x):]
			e0, e1, e2 := float64(p[0])-bg[0], float64(p[1])-bg[1], float64(p[2])-bg[2]
			v := (e0*d[0] + e1*d[1] + e2*d[2]) / norm
			// Off the axis (glare whitens a dark window towards every colour) counts against.
			q0, q1, q2 := e0-v*d[0], e1-v*d[1], e2-v*d[2]
			v -= math.Sqrt((q0*q0+q1*q1+q2*q2)/norm) * 0.8
			q := uint8(max(0, min(255, v*255)))
			proj[y*bw+x] = q
			hist[q]++
		}
	}
	thr, sep := otsu(hist[:])
	on := make([]bool, bw*bh)
	for i, q := range proj {
		on[i] = q > thr
	}
	return plane{box: box, on: on, w: bw, h: bh, fg: rgb{fg[0], fg[1], fg[2]}, bg: rgb{bg[0], bg[1], bg[2]}, sep: sep}, true
}

// readSegments reads seven-segment characters from a thresholded region.
func readSegments(p plane) (Reading, bool) {
	box, on, bw, bh, sep := p.box, p.on, p.w, p.h, p.sep
	// Most LED and LCD digits lean forward: stand them upright before sampling the segments.
	if k := slant(on, bw, bh); k != 0 {
		on = shear(on, bw, bh, k)
	}
	fg, bg := p.fg, p.bg
	// Vertical extent of the characters.
	rows := make([]int, bh)
	cols := make([]int, bw)
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			if on[y*bw+x] {
				rows[y]++
				cols[x]++
			}
		}
	}
	top, bot := -1, -1
	for y, c := range rows {
		if c > 0 {
			if top < 0 {
				top = y
			}
			bot = y
		}
	}
	if top < 0 || bot-top < 10 {
		return Reading{}, false
	}
	H := bot - top + 1
	// Columns runs: characters, with gaps narrower than H/12 bridged.
	type run struct{ x0, x1 int }
	var runs []run
	minCol := max(1, H/40)
	for x := 0; x < bw; x++ {
		if cols[x] < minCol {
			continue
		}
		if n := len(runs); n > 0 && x-runs[n-1].x1 <= max(2, H/12) {
			runs[n-1].x1 = x
		} else {
			runs = append(runs, run{x, x})
		}
	}
	// Runs much shorter than the characters (a light beside the display, a speck) are not
	// characters, unless they are a "-" at mid-height.
	kept := runs[:0]
	for _, r := range runs {
		if r.x0 == 0 || r.x1 == bw-1 {
			continue // what reaches the widened box's edge is the panel around the display
		}
		if n := tallRows(on, bw, r.x0, r.x1); n >= (bot-top+1)/4 || midDash(on, bw, r.x0, r.x1, top, bot) {
			kept = append(kept, r)
		}
	}
	runs = kept
	if len(runs) < 2 || len(runs) > 12 {
		return Reading{}, false
	}
	// Character width: the widest runs are full characters.
	var widths []int
	for _, r := range runs {
		widths = append(widths, r.x1-r.x0+1)
	}
	sort.Ints(widths)
	W := widths[len(widths)-1]
	if W < H/4 || W > H {
		return Reading{}, false
	}
	rd := Reading{Box: box, Color: color.RGBA{uint8(fg[0]), uint8(fg[1]), uint8(fg[2]), 255},
		background: bg, Type: SevenSegment}
	sum := 0.0
	for _, r := range runs {
		x0 := r.x0
		if r.x1-r.x0+1 < W*9/10 {
			// A narrower run lacks the verticals of one side ("3", "7", "1" on the left; "E",
			// "F", "C" on the right; "-" on both): align the cell on the side that has them.
			side := max(2, W/6)
			left := tallRows(on, bw, r.x0, min(r.x1, r.x0+side-1)) >= H/2
			right := tallRows(on, bw, max(r.x0, r.x1-side+1), r.x1) >= H/2
			switch {
			case r.x1-r.x0+1 < W*45/100 && left:
				x0 = r.x1 - W + 1 // a "1" is its right verticals alone
			case right && !left:
				x0 = r.x1 - W + 1
			case !right && !left:
				x0 = (r.x0+r.x1)/2 - W/2
			}
		}
		pat, sure := sample(on, bw, x0, top, W, H)
		c, ok := glyphs[pat]
		conf := 0.0
		if ok {
			m := 1.0
			for _, s := range sure {
				m = min(m, s)
			}
			conf = 0.6 + 0.4*m
		} else {
			var cost float64
			c, cost = nearest(pat, sure)
			conf = max(0.05, 0.45-cost/3)
		}
		sum += conf
		rd.Chars = append(rd.Chars, Char{Char: string(c), Confidence: conf, Segments: pat,
			Box: image.Rect(box.Min.X+x0, box.Min.Y+top, box.Min.X+x0+W, box.Min.Y+top+H)})
		rd.Text += string(c)
	}
	rd.Contrast = min(1, sep*4)
	rd.Confidence = sum / float64(len(rd.Chars)) * (0.5 + 0.5*rd.Contrast)
	rd.Box = image.Rect(box.Min.X+runs[0].x0, box.Min.Y+top, box.Min.X+runs[len(runs)-1].x1+1, box.Min.Y+bot+1)
	return rd, true
}

// midDash reports whether the lit pixels between columns x0 and x1 form a short bar at the middle
// height of the characters spanning rows top to bot.
func midDash(on []bool, stride, x0, x1, top, bot int) bool {
	first, last := -1, -1
	for y := top; y <= bot; y++ {
		for x := x0; x <= x1; x++ {
			if on[y*stride+x] {
				if first < 0 {
					first = y
				}
				last = y
				break
			}
		}
	}
	h := bot - top + 1
	mid := (top + bot) / 2
	return first >= 0 && last-first < h/4 && first <= mid+h/8 && last >= mid-h/8
}

// tallRows counts the rows with a lit pixel between columns x0 and x1.
func tallRows(on []bool, stride, x0, x1 int) int {
	n := 0
	for y := 0; y < len(on)/stride; y++ {
		for x := x0; x <= x1; x++ {
			if on[y*stride+x] {
				n++
				break
			}
		}
	}
	return n
}

// segRects are the sample windows of segments a..g as fractions of a character cell.
var segRects = [7][4]float64{
	{0.3, 0.0, 0.7, 0.12},  // a
	{0.78, 0.2, 1.0, 0.38}, // b
	{0.78, 0.62, 1.0, 0.8}, // c
	{0.3, 0.88, 0.7, 1.0},  // d
	{0.0, 0.62, 0.22, 0.8}, // e
	{0.0, 0.2, 0.22, 0.38}, // f
	{0.3, 0.44, 0.7, 0.56}, // g
}

// sample returns the segment pattern of the cell at (x0, y0) of size w x h, and how sure each
// segment's verdict is, in [0,1].
func sample(on []bool, stride, x0, y0, w, h int) (uint8, [7]float64) {
	var pat uint8
	var sure [7]float64
	rows := len(on) / stride
	for i, r := range segRects {
		xa, ya := x0+int(r[0]*float64(w)), y0+int(r[1]*float64(h))
		xb, yb := x0+int(r[2]*float64(w)+0.5), y0+int(r[3]*float64(h)+0.5)
		n, lit := 0, 0
		for y := max(0, ya); y < min(rows, max(yb, ya+1)); y++ {
			for x := max(0, xa); x < min(stride, max(xb, xa+1)); x++ {
				n++
				if on[y*stride+x] {
					lit++
				}
			}
		}
		f := 0.0
		if n > 0 {
			f = float64(lit) / float64(n)
		}
		if f >= 0.3 {
			pat |= 1 << i
			sure[i] = min(1, (f-0.3)/0.4)
		} else {
			sure[i] = min(1, (0.3-f)/0.2)
		}
	}
	return pat, sure
}

// otsu returns the threshold that best separates a histogram into two classes and the distance
// between the class means, as a fraction of the range.
func otsu(hist []int) (uint8, float64) {
	total, sum := 0, 0.0
	for i, c := range hist {
		total += c
		sum += float64(i * c)
	}
	var wB, sumB, best float64
	thr := 127
	sep := 0.0
	for t := 0; t < 255; t++ {
		wB += float64(hist[t])
		if wB == 0 {
			continue
		}
		wF := float64(total) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB, mF := sumB/wB, (sum-sumB)/wF
		v := wB * wF * (mB - mF) * (mB - mF)
		if v > best {
			best, thr, sep = v, t, (mF-mB)/255
		}
	}
	return uint8(thr), sep
}
