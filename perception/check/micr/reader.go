package micr

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// Reading works on a strip resampled to a fixed scale: S pixels per grid unit, the 9-unit band
// with a margin of marginV units above and below.
const (
	scaleS  = 3
	marginV = 2
	marginH = 1
	stripH  = (GlyphRows + 2*marginV) * scaleS
	maxPix  = 80 << 20 // larger images are refused rather than risk memory
)

// ReadTemplates reads a cropped line with the standard's glyph templates alone, as the reader did
// before it learned from real print; kept for comparison (parley eval micr --templates).
func ReadTemplates(img image.Image) (Line, error) {
	if img == nil {
		return Line{}, ErrBadImage
	}
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 || b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	g := toGray(img)
	l, _, err := readPlane(g, 1, 6, math.Inf(1), max(9, g.h/2))
	if err != nil {
		return Line{}, err
	}
	l.translate(b.Min)
	return l, nil
}

// learnedSure is the lowest character confidence of a learned reading kept without asking the
// templates.
const learnedSure = 0.5

// Template agreement above which a crop is taken to be print drawn to the standard's outlines
// (rendered lines score 0.89 to 0.92 at worst and 0.95 on average; the real lines sampled, at
// most 0.86 and 0.91).
const (
	templateSure = 0.88
	templateMean = 0.93
)

// meanConfidence is the mean of the characters' confidences.
func (l *Line) meanConfidence() float64 {
	if len(l.Chars) == 0 {
		return 0
	}
	var s float64
	for _, c := range l.Chars {
		s += c.Confidence
	}
	return s / float64(len(l.Chars))
}

// Read reads a cropped MICR line image: one line of E-13B characters at any scale, dark on light.
// When the image holds more than the line (a whole check), the densest line of MICR-like
// characters is read.
func Read(img image.Image) (Line, error) {
	if img == nil {
		return Line{}, ErrBadImage
	}
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	if b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d is too large", ErrBadImage, b.Dx(), b.Dy())
	}
	// A crop of one line, much wider than high, is read on its pitch grid by the learned
	// classifier; the standard's templates read anything else, and a crop the classifier reads
	// only weakly.
	// When the classifier is unsure of a character and gave no valid routing number, the
	// templates' reading is taken instead if it has one.
	// Print that matches the standard's outlines closely (every character at least
	// templateSure, on average templateMean) is read by the templates, which were drawn for it.
	g := toGray(img)
	l, _, err := readPlane(g, 1, 6, math.Inf(1), max(9, g.h/2))
	if err == nil && ValidRouting(l.Routing) && l.Confidence >= templateSure && l.meanConfidence() >= templateMean {
		l.translate(b.Min)
		return l, nil
	}
	var learned Line
	haveLearned := false
	if m := ShippedModel(); m != nil && b.Dx() >= 3*b.Dy() {
		if l, err := readCrop(m.m, img); err == nil && l.plausible(3, 0.6) {
			if ValidRouting(l.Routing) || l.Confidence >= learnedSure {
				return l, nil
			}
			learned, haveLearned = l, true
		}
	}
	if haveLearned && (err != nil || !ValidRouting(l.Routing)) {
		return learned, nil
	}
	if err != nil {
		return Line{}, err
	}
	if !l.plausible(3, 0.45) {
		return Line{}, fmt.Errorf("%w: only %q, weakly", ErrNoLine, l.Text)
	}
	l.translate(b.Min)
	return l, nil
}

// readPlane finds candidate text bands in g (luminance), reads each and returns the best line.
// f is the factor from g's pixels to the caller's pixels (g may be a shrunk copy).
func readPlane(g plane, f, minH, maxH float64, k int) (Line, float64, error) {
	ink := inkMap(g, k)
	t := estimateSkew(ink)
	bands := findBands(ink, t)
	var best Line
	bestScore := math.Inf(-1)
	for _, bd := range bands {
		if h := bd.y1 - bd.y0; h < minH || h > maxH {
			continue
		}
		if l, score, ok := readBand(ink, bd, t, f); ok && score > bestScore {
			best, bestScore = l, score
		}
	}
	if bestScore == math.Inf(-1) || !ValidRouting(best.Routing) {
		// The page's skew need not be the line's: in a photo taken at an angle the bottom line
		// slants differently from the text above it. Measure the skew of each band alone.
		for _, bd := range bands {
			if h := bd.y1 - bd.y0; h < minH || h > maxH {
				continue
			}
			masked := maskBand(ink, bd, t)
			lt := estimateSkew(masked)
			if math.Abs(lt-t) <= 0.004 {
				continue
			}
			for i, bd2 := range findBands(masked, lt) {
				if h := bd2.y1 - bd2.y0; i > 1 || h < minH || h > maxH {
					continue
				}
				if l, score, ok := readBand(ink, bd2, lt, f); ok && score > bestScore {
					best, bestScore = l, score
				}
			}
		}
	}
	if bestScore == math.Inf(-1) {
		return Line{}, 0, ErrNoLine
	}
	return best, bestScore, nil
}

// translate shifts every box by d.
func (l *Line) translate(d image.Point) {
	l.Box = l.Box.Add(d)
	for i := range l.Chars {
		l.Chars[i].Box = l.Chars[i].Box.Add(d)
	}
}

// FindAndRead locates the MICR line in the clear band along the bottom of a whole check image and
// reads it. Box and character boxes are in the coordinates of check.
func FindAndRead(check image.Image) (Line, error) {
	if check == nil {
		return Line{}, ErrBadImage
	}
	b := check.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	if b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d is too large", ErrBadImage, b.Dx(), b.Dy())
	}
	g := toGray(check)
	f := 1
	for g.w/f > 2400 {
		f++
	}
	g = shrink(g, f)
	// The clear band is the bottom 5/8 in of a check 2.75 to 3.66 in high: look at the bottom
	// third first, then at overlapping strips up the image (a photo may hold the check anywhere).
	var best Line
	found := false
	bestScore := 0.0
	try := func(y0, y1 int) bool {
		y0 = max(0, y0)
		y1 = min(g.h, y1)
		if y1-y0 < 8 {
			return false
		}
		sub := plane{g.w, y1 - y0, g.p[y0*g.w : y1*g.w]}
		l, score, err := readPlane(sub, float64(f), 0.007*float64(g.w), 0.045*float64(g.w), max(9, g.w/40))
		if err != nil {
			return false
		}
		l.translate(image.Pt(0, y0*f))
		if !found || score > bestScore {
			best, bestScore, found = l, score, true
		}
		return ValidRouting(l.Routing)
	}
	if try(g.h*2/3, g.h) {
		best.translate(b.Min)
		best.tidy()
		best = rereadLearned(check, best)
		if !best.plausible(8, 0.6) {
			return Line{}, fmt.Errorf("%w: the bottom of the image holds no E-13B line", ErrNoLine)
		}
		return best, nil
	}
	step := max(g.h/8, 8)
	for y := g.h - step*3; y > -step; y -= step {
		if try(y, y+step*3) {
			break
		}
	}
	if !found {
		return Line{}, ErrNoLine
	}
	best.translate(b.Min)
	best.tidy()
	best = rereadLearned(check, best)
	if !best.plausible(8, 0.6) {
		return Line{}, fmt.Errorf("%w: the bottom of the image holds no E-13B line", ErrNoLine)
	}
	return best, nil
}

// rereadLearned reads the line found in a check again, cropped, with the learned classifier,
// and keeps that reading when it gives a valid routing number: on print the templates were not
// drawn from (another renderer's glyphs, a phone photo of them) it reads more lines exactly,
// and on the templates' own glyphs as many.
func rereadLearned(check image.Image, l Line) Line {
	m := ShippedModel()
	sub, ok := check.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if m == nil || !ok || l.Box.Empty() {
		return l
	}
	h := l.Box.Dy()
	r := image.Rect(l.Box.Min.X-2*h, l.Box.Min.Y-h/2, l.Box.Max.X+2*h, l.Box.Max.Y+h/2).Intersect(check.Bounds())
	l2, err := readCrop(m.m, sub.SubImage(r))
	if err != nil || !ValidRouting(l2.Routing) {
		return l
	}
	l2.tidy()
	return l2
}

// plausible reports whether l looks like a MICR line rather than other print read as glyphs: a
// valid routing number, or at least n characters read with mean confidence conf.
func (l *Line) plausible(n int, conf float64) bool {
	if ValidRouting(l.Routing) {
		return true
	}
	if len(l.Chars) < n {
		return false
	}
	var sum float64
	for _, c := range l.Chars {
		sum += c.Confidence
	}
	return sum/float64(len(l.Chars)) >= conf
}

// tidy applies the layout of a whole check's MICR line, which begins with a transit or on-us
// symbol and whose fields are runs of several characters: stray groups of one or two characters
// (background marks read as glyphs) and leading groups that cannot start a line are dropped, and an
// auxiliary on-us field that opens with a dash, the symbol a smeared on-us most resembles, gets
// its on-us symbol back.
func (l *Line) tidy() {
	var groups [][]Char
	i := 0
	for _, f := range strings.Fields(l.Text) {
		n := len([]rune(f))
		if i+n > len(l.Chars) {
			return // text and characters disagree: leave the line alone
		}
		groups = append(groups, l.Chars[i:i+n])
		i += n
	}
	// An auxiliary on-us field (serial) just before the transit field: a leading dash is a
	// smeared on-us symbol.
	for k := 0; k+1 < len(groups); k++ {
		if g := groups[k]; g[0].Rune == Dash && g[len(g)-1].Rune == OnUs && groups[k+1][0].Rune == Transit {
			g[0].Rune = OnUs
		}
	}
	// The line opens with a transit or on-us symbol: one or two other characters just before it
	// in the same group are a mark read as glyphs.
	if g := groups[0]; len(g) > 3 {
		for k := 1; k <= 2; k++ {
			if g[k].Rune == Transit || g[k].Rune == OnUs {
				if g[0].Rune != Transit && g[0].Rune != OnUs {
					groups[0] = g[k:]
				}
				break
			}
		}
	}
	field := func(g []Char) bool {
		for _, c := range g {
			if c.Rune == Transit || c.Rune == OnUs || c.Rune == Amount {
				return true
			}
		}
		return false
	}
	for len(groups) > 1 && (len(groups[0]) <= 2 || !field(groups[0])) {
		groups = groups[1:]
	}
	var kept [][]Char
	for _, g := range groups {
		if len(g) > 2 || len(groups) == 1 {
			kept = append(kept, g)
		}
	}
	if len(kept) == 0 {
		return
	}
	var chars []Char
	var words []string
	l.Box = image.Rectangle{}
	l.Confidence = 1
	for _, g := range kept {
		var w strings.Builder
		for _, c := range g {
			w.WriteRune(c.Rune)
			chars = append(chars, c)
			l.Box = l.Box.Union(c.Box)
			l.Confidence = math.Min(l.Confidence, c.Confidence)
		}
		words = append(words, w.String())
	}
	l.Chars = chars
	l.Text = strings.Join(words, " ")
	l.ParseFields()
}
