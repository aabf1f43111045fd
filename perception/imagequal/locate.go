package imagequal

import (
	"image"
	"math"
)

// Quad is a document outline in image pixels: top-left, top-right, bottom-right, bottom-left.
type Quad [4]image.Point

// location is where the document lies in a photo.
type location struct {
	quad     Quad
	found    bool    // a light document on a darker background was outlined
	whole    bool    // the document fills the frame (a scan or a flat render)
	inFrame  bool    // no edge of the document touches the photo's border
	coverage float64 // document area / photo area
	angle    float64 // degrees, positive clockwise
}

// analysisSide is the long side of the reduced image used to find the document.
const analysisSide = 720

// locate finds the largest light region (the paper) in g and outlines it with a quadrilateral.
func locate(g *image.Gray) location {
	W, H := g.Rect.Dx(), g.Rect.Dy()
	k := max(1, max(W, H)/analysisSide)
	s := shrink(g, k)
	w, h := s.Rect.Dx(), s.Rect.Dy()
	whole := location{quad: Quad{{0, 0}, {W, 0}, {W, H}, {0, H}}, whole: true, inFrame: true, coverage: 1}
	t := otsu(s.Pix)
	labels := make([]bool, w*h)
	var best struct {
		n                     int
		tl, tr, br, bl        [2]int
		top, bot, left, right bool
	}
	stack := make([]int32, 0, 1024)
	for start := range s.Pix {
		if labels[start] || s.Pix[start] <= t {
			continue
		}
		labels[start] = true
		stack = append(stack[:0], int32(start))
		n := 0
		smin, smax, dmin, dmax := math.MaxInt, math.MinInt, math.MaxInt, math.MinInt
		var tl, tr, br, bl [2]int
		var top, bot, left, right bool
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			n++
			x, y := i%w, i/w
			if sum := x + y; sum < smin {
				smin, tl = sum, [2]int{x, y}
			}
			if sum := x + y; sum > smax {
				smax, br = sum, [2]int{x, y}
			}
			if d := x - y; d < dmin {
				dmin, bl = d, [2]int{x, y}
			}
			if d := x - y; d > dmax {
				dmax, tr = d, [2]int{x, y}
			}
			top = top || y == 0
			bot = bot || y == h-1
			left = left || x == 0
			right = right || x == w-1
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				if j < 0 || j >= len(labels) || labels[j] || s.Pix[j] <= t {
					continue
				}
				if (j == i-1 && x == 0) || (j == i+1 && x == w-1) {
					continue
				}
				labels[j] = true
				stack = append(stack, int32(j))
			}
		}
		if n > best.n {
			best.n, best.tl, best.tr, best.br, best.bl = n, tl, tr, br, bl
			best.top, best.bot, best.left, best.right = top, bot, left, right
		}
	}
	cov := float64(best.n) / float64(w*h)
	borders := 0
	for _, b := range []bool{best.top, best.bot, best.left, best.right} {
		if b {
			borders++
		}
	}
	if cov < 0.05 {
		whole.whole = false
		return whole
	}
	if cov > 0.80 && borders >= 3 {
		return whole
	}
	sc := func(p [2]int) image.Point { return image.Pt(p[0]*k+k/2, p[1]*k+k/2) }
	q := Quad{sc(best.tl), sc(best.tr), sc(best.br), sc(best.bl)}
	area := quadArea(q) / float64(k*k)
	if area <= 0 || float64(best.n)/area < 0.80 {
		// Not a clean rectangle: no outline we can trust; read the frame as it is.
		whole.whole = false
		whole.inFrame = borders == 0
		whole.coverage = cov
		return whole
	}
	dx := float64(q[1].X - q[0].X + q[2].X - q[3].X)
	dy := float64(q[1].Y - q[0].Y + q[2].Y - q[3].Y)
	return location{quad: q, found: true, inFrame: borders == 0, coverage: cov,
		angle: math.Atan2(dy, dx) * 180 / math.Pi}
}

// quadArea is the shoelace area of q.
func quadArea(q Quad) float64 {
	a := 0
	for i := range 4 {
		j := (i + 1) % 4
		a += q[i].X*q[j].Y - q[j].X*q[i].Y
	}
	return math.Abs(float64(a)) / 2
}

// otsu returns the threshold that best separates the histogram of px into two classes.
func otsu(px []uint8) uint8 {
	var hist [256]int
	for _, v := range px {
		hist[v]++
	}
	total := float64(len(px))
	var sum float64
	for i, c := range hist {
		sum += float64(i * c)
	}
	var sumB, wB, best float64
	var t uint8
	for i, c := range hist {
		wB += float64(c)
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(i * c)
		mB, mF := sumB/wB, (sum-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, t = v, uint8(i)
		}
	}
	return t
}

// rectify maps the quad of g onto an upright rectangle width pixels wide; what falls outside g
// reads as fill (or the nearest edge pixel when fill < 0).
func rectify(g *image.Gray, q Quad, width int, fill int) *image.Gray {
	side := func(a, b image.Point) float64 { return math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y)) }
	qw := (side(q[0], q[1]) + side(q[3], q[2])) / 2
	qh := (side(q[0], q[3]) + side(q[1], q[2])) / 2
	if qw < 1 || qh < 1 {
		return g
	}
	height := max(1, int(math.Round(float64(width)*qh/qw)))
	// Shrink first when the source is much larger, so bilinear sampling does not alias.
	k := int(qw / float64(width))
	src := g
	if k >= 2 {
		src = shrink(g, k)
	} else {
		k = 1
	}
	var fq [4][2]float64
	for i, p := range q {
		fq[i] = [2]float64{float64(p.X) / float64(k), float64(p.Y) / float64(k)}
	}
	return warpFill(src, width, height, homography(float64(width), float64(height), fq), fill)
}

// skew estimates the rotation of text lines in g, in degrees (positive clockwise), from the
// sharpness of the horizontal projection profile of dark pixels. It searches ±maxSkew degrees.
func skew(g *image.Gray) float64 {
	const maxSkew = 7.0
	k := max(1, g.Rect.Dx()/900)
	s := shrink(g, k)
	w, h := s.Rect.Dx(), s.Rect.Dy()
	t := otsu(s.Pix)
	var xs, ys []float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if s.Pix[y*s.Stride+x] <= t {
				xs = append(xs, float64(x))
				ys = append(ys, float64(y))
			}
		}
	}
	if len(xs) < 50 || len(xs) > w*h/2 {
		return 0
	}
	diag := int(math.Hypot(float64(w), float64(h))) + 2
	rows := make([]float64, 2*diag)
	score := func(deg float64) float64 {
		clear(rows)
		sn, cs := math.Sin(deg*math.Pi/180), math.Cos(deg*math.Pi/180)
		for i := range xs {
			r := int(ys[i]*cs-xs[i]*sn) + diag
			if r >= 0 && r < len(rows) {
				rows[r]++
			}
		}
		v := 0.0
		for _, c := range rows {
			v += c * c
		}
		return v
	}
	best, bestV := 0.0, score(0)
	for d := -maxSkew; d <= maxSkew; d += 0.5 {
		if v := score(d); v > bestV {
			best, bestV = d, v
		}
	}
	c := best
	for d := c - 0.5; d <= c+0.5; d += 0.1 {
		if v := score(d); v > bestV {
			best, bestV = d, v
		}
	}
	return best
}

// rotated returns the quad of the frame of g turned by deg degrees about its centre, so rectifying
// it straightens text skewed by deg.
func rotated(g *image.Gray, deg float64) Quad {
	w, h := float64(g.Rect.Dx()), float64(g.Rect.Dy())
	cx, cy := w/2, h/2
	sn, cs := math.Sin(deg*math.Pi/180), math.Cos(deg*math.Pi/180)
	var q Quad
	for i, p := range [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}} {
		dx, dy := p[0]-cx, p[1]-cy
		q[i] = image.Pt(int(math.Round(cx+dx*cs-dy*sn)), int(math.Round(cy+dx*sn+dy*cs)))
	}
	return q
}
