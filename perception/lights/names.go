package lights

import (
	"math"
	"slices"
	"sort"

	"github.com/parleyhq/parley/kb"
)

// packLayouts gives a pack's products, whose light layouts name the lights seen.
type packLayouts interface {
	Pack(name string) (*kb.Pack, error)
}

// Layouts returns the distinct light layouts of a pack's products, each sorted left to right.
func Layouts(p *kb.Pack) [][]kb.Light {
	var out [][]kb.Light
	seen := map[string]bool{}
	for _, pr := range p.Products {
		if len(pr.Lights) == 0 {
			continue
		}
		ls := slices.Clone(pr.Lights)
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].X < ls[j].X })
		key := ""
		for _, l := range ls {
			key += l.Name + "|"
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, ls)
		}
	}
	return out
}

// The prior on where a product's front sits in the frame: centred, about seven tenths of the
// frame wide. It places a lone light; two or more lights fit their own scale and offset.
const (
	priorScale  = 0.7
	priorOffset = 0.15
)

// Name names the lights of one frame after the product layout that explains them best: each lit
// light is matched, in left-to-right order, to a light of the layout, the layout's positions (as
// fractions of the product's front) mapped onto the frame by a scale and an offset fitted to the
// lights seen; a light whose colour the layout does not allow there costs extra. Blobs keep an
// empty name when no layout has as many lights as are lit.
func Name(bs []Blob, layouts [][]kb.Light) {
	if len(bs) == 0 {
		return
	}
	sort.SliceStable(bs, func(i, j int) bool { return bs[i].X < bs[j].X })
	var bestNames []string
	bestCost := math.Inf(1)
	for _, ls := range layouts {
		if len(ls) < len(bs) {
			continue
		}
		pick := make([]int, len(bs))
		var walk func(k, from int)
		walk = func(k, from int) {
			if k == len(bs) {
				if c := fitCost(bs, ls, pick); c < bestCost {
					bestCost = c
					bestNames = bestNames[:0]
					for _, i := range pick {
						bestNames = append(bestNames, ls[i].Name)
					}
				}
				return
			}
			for i := from; i <= len(ls)-(len(bs)-k); i++ {
				pick[k] = i
				walk(k+1, i+1)
			}
		}
		walk(0, 0)
	}
	if bestNames == nil {
		return
	}
	for i := range bs {
		bs[i].Name = bestNames[i]
	}
}

// fitCost is how badly the layout lights pick[k] explain blobs bs[k]: the mean distance left after
// fitting a scale and offset, how far these are from the prior, and the colours not allowed.
func fitCost(bs []Blob, ls []kb.Light, pick []int) float64 {
	s, o := priorScale, priorOffset
	if len(bs) >= 2 {
		var mx, my float64
		for k, b := range bs {
			mx += ls[pick[k]].X
			my += b.X
		}
		n := float64(len(bs))
		mx, my = mx/n, my/n
		var sxy, sxx float64
		for k, b := range bs {
			dx := ls[pick[k]].X - mx
			sxy += dx * (b.X - my)
			sxx += dx * dx
		}
		if sxx == 0 {
			return math.Inf(1)
		}
		s = sxy / sxx
		o = my - s*mx
		if s < 0.2 || s > 1.2 {
			return math.Inf(1)
		}
	}
	cost := 0.0
	for k, b := range bs {
		l := ls[pick[k]]
		cost += math.Abs(s*l.X+o-b.X) / float64(len(bs))
		if len(l.Colors) > 0 && !slices.Contains(l.Colors, b.Color) {
			cost += 0.2
		}
	}
	// Away from the prior: a front far off-centre or of an odd size is less likely.
	cost += 0.1*math.Abs(s-priorScale) + 0.1*math.Abs(o+s/2-0.5)
	return cost
}
