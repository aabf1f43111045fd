package imagequal

import (
	"image"
	"math"
)

// line is ρ = y·cosφ − x·sinφ for a near-horizontal line, or ρ = x·cosφ + y·sinφ for a
// near-vertical one (φ in degrees, 0 for axis-aligned).
type line struct {
	phi, rho float64
	vertical bool
}

// point returns the intersection of a near-horizontal line h and a near-vertical line v.
func intersect(h, v line) (float64, float64) {
	sh, ch := math.Sincos(h.phi * math.Pi / 180)
	sv, cv := math.Sincos(v.phi * math.Pi / 180)
	// h: -sh·x + ch·y = ρh ; v: cv·x + sv·y = ρv
	det := -sh*sv - ch*cv
	x := (h.rho*sv - ch*v.rho) / det
	y := (-sh*v.rho - cv*h.rho) / det
	return x, y
}

// outline finds a document's four border lines with a Hough transform of the edges and returns
// the quad they enclose (in the coordinates of g). It serves when the paper does not stand out
// from the background by brightness but its edges or printed border do.
func outline(g *image.Gray) (Quad, bool) {
	W, H := g.Rect.Dx(), g.Rect.Dy()
	k := max(1, max(W, H)/analysisSide)
	s := shrink(g, k)
	w, h := s.Rect.Dx(), s.Rect.Dy()
	if w < 40 || h < 20 {
		return Quad{}, false
	}
	type edge struct{ x, y float64 }
	var hor, ver []edge
	p, st := s.Pix, s.Stride
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*st + x
			gx := int(p[i-st+1]) + 2*int(p[i+1]) + int(p[i+st+1]) - int(p[i-st-1]) - 2*int(p[i-1]) - int(p[i+st-1])
			gy := int(p[i+st-1]) + 2*int(p[i+st]) + int(p[i+st+1]) - int(p[i-st-1]) - 2*int(p[i-st]) - int(p[i-st+1])
			ax, ay := abs(gx), abs(gy)
			if ax+ay < 40 {
				continue
			}
			if ay > 2*ax {
				hor = append(hor, edge{float64(x), float64(y)})
			} else if ax > 2*ay {
				ver = append(ver, edge{float64(x), float64(y)})
			}
		}
	}
	// best returns the outermost strong lines among angles within ±maxPhi. Lines are compared by
	// where they cross the middle of the image, which does not depend on their angle; of the lines
	// near the outermost position, the one with most edge pixels gives the border's true angle.
	best := func(es []edge, vertical bool, maxPhi float64, span int) (line, line, float64, bool) {
		diag := int(math.Hypot(float64(w), float64(h))) + 2
		type cand struct {
			l     line
			pos   float64
			votes int
		}
		var cands []cand
		acc := make([]int, 2*diag)
		for phi := -maxPhi; phi <= maxPhi; phi += 0.25 {
			clear(acc)
			sn, cs := math.Sincos(phi * math.Pi / 180)
			for _, e := range es {
				var r float64
				if vertical {
					r = e.x*cs + e.y*sn
				} else {
					r = e.y*cs - e.x*sn
				}
				acc[int(r)+diag]++
			}
			for i := 1; i < len(acc)-1; i++ {
				votes := acc[i-1] + acc[i] + acc[i+1]
				if votes < span*45/100 {
					continue
				}
				rho := float64(i - diag)
				var pos float64
				if vertical {
					pos = (rho - float64(h)/2*sn) / cs
				} else {
					pos = (rho + float64(w)/2*sn) / cs
				}
				cands = append(cands, cand{line{phi, rho, vertical}, pos, votes})
			}
		}
		if len(cands) == 0 {
			return line{}, line{}, 0, false
		}
		minPos, maxPos := math.Inf(1), math.Inf(-1)
		for _, c := range cands {
			minPos, maxPos = math.Min(minPos, c.pos), math.Max(maxPos, c.pos)
		}
		tol := float64(span) / 50
		var lo, hi cand
		for _, c := range cands {
			if c.pos <= minPos+tol && c.votes > lo.votes {
				lo = c
			}
			if c.pos >= maxPos-tol && c.votes > hi.votes {
				hi = c
			}
		}
		return lo.l, hi.l, maxPos - minPos, maxPos-minPos > float64(span)/8
	}
	top, bottom, height, okH := best(hor, false, 15, w)
	if !okH {
		return Quad{}, false
	}
	// The sides are as long as the document is high, not as the photo.
	left, right, _, okV := best(ver, true, 20, max(int(height), h*6/10))
	if !okH || !okV {
		return Quad{}, false
	}
	var q Quad
	var sq [4][2]float64 // the quad in the reduced image
	for i, pr := range [4][2]line{{top, left}, {top, right}, {bottom, right}, {bottom, left}} {
		x, y := intersect(pr[0], pr[1])
		if x < -0.03*float64(w) || y < -0.03*float64(h) || x > 1.03*float64(w) || y > 1.03*float64(h) {
			return Quad{}, false
		}
		sq[i] = [2]float64{x, y}
		q[i] = image.Pt(int(x*float64(k)+float64(k)/2), int(y*float64(k)+float64(k)/2))
	}
	// A quad hugging the frame is a scan or a flat render: nothing to correct, and warping it
	// would only blur it.
	near := 0
	for i, c := range [4][2]float64{{0, 0}, {float64(w), 0}, {float64(w), float64(h)}, {0, float64(h)}} {
		if math.Abs(sq[i][0]-c[0]) < 0.025*float64(w) && math.Abs(sq[i][1]-c[1]) < 0.025*float64(h) {
			near++
		}
	}
	if near == 4 {
		return Quad{}, false
	}
	// The document holds (nearly) all the ink: lines that leave print outside are inner rules,
	// such as a signature line above the MICR band.
	t := otsu(s.Pix)
	ink, outside := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if p[y*st+x] > t {
				continue
			}
			ink++
			if !inQuad(sq, float64(x), float64(y)) {
				outside++
			}
		}
	}
	if ink == 0 || outside*100 > ink*2 {
		return Quad{}, false
	}
	area := quadArea(q)
	qw := math.Hypot(float64(q[1].X-q[0].X), float64(q[1].Y-q[0].Y))
	qh := math.Hypot(float64(q[3].X-q[0].X), float64(q[3].Y-q[0].Y))
	if area < 0.15*float64(W*H) || qh == 0 || qw/qh < 1.6 || qw/qh > 4 {
		return Quad{}, false
	}
	return q, true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// inQuad reports whether (x, y) lies inside the convex quad q (clockwise in image coordinates).
func inQuad(q [4][2]float64, x, y float64) bool {
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		if (b[0]-a[0])*(y-a[1])-(b[1]-a[1])*(x-a[0]) < 0 {
			return false
		}
	}
	return true
}
