// Package lights finds indicator lights (LEDs) in photos and video frames and tells their colour
// and, across the frames of a video, their blink pattern: steady, blinking or fast. The stage
// image.lights reports the lit lights of every frame; Track follows them across frames.
package lights

import (
	"context"
	"image"
	"math"
	"sort"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/display"
)

// StageName is the name the light reader registers under.
const StageName = "image.lights"

// Kind is the observation kind of one frame's lights (Value: []Blob).
const Kind = "lights"

func init() {
	perception.Register(StageName, func(env perception.Env) (perception.Stage, error) {
		st := Stage{}
		if p, ok := env.Packs.(packLayouts); ok {
			st.packs = p
		}
		return st, nil
	})
}

// Blob is one lit light in a frame; X and Y are the centre as fractions of the frame's size.
type Blob struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Radius int     `json:"r"`
	Color  string  `json:"color"`
	// Name is the light's name in the product's layout of the pack ("dsl", "door"), when known.
	Name string `json:"name,omitempty"`
}

// Find returns the lit indicator lights of an image: small, round, saturated and bright spots.
func Find(img image.Image) []Blob {
	m := display.RGBA(img)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	lit := make([]bool, w*h)
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride:]
		for x := 0; x < w; x++ {
			r, g, b := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2])
			lit[y*w+x] = max(r, g, b)-min(r, g, b) >= 70 && max(r, g, b) >= 130
		}
	}
	var out []Blob
	seen := make([]bool, w*h)
	stack := []int{}
	maxD := max(8, w/14)
	for i := range lit {
		if !lit[i] || seen[i] {
			continue
		}
		x0, y0, x1, y1, n := w, h, 0, 0, 0
		var sr, sg, sb int
		stack = append(stack[:0], i)
		seen[i] = true
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := j%w, j/w
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			n++
			p := m.Pix[y*m.Stride+4*x:]
			sr, sg, sb = sr+int(p[0]), sg+int(p[1]), sb+int(p[2])
			for _, k := range [4]int{j - 1, j + 1, j - w, j + w} {
				if k >= 0 && k < len(lit) && lit[k] && !seen[k] && (k%w-x)*(k%w-x) <= 1 {
					seen[k] = true
					stack = append(stack, k)
				}
			}
		}
		bw, bh := x1-x0+1, y1-y0+1
		if bw < 4 || bh < 4 || bw > maxD || bh > maxD {
			continue
		}
		aspect := float64(bw) / float64(bh)
		fillRatio := float64(n) / float64(bw*bh)
		if aspect < 0.6 || aspect > 1.6 || fillRatio < 0.55 {
			continue
		}
		out = append(out, Blob{
			X: float64(x0+x1) / 2 / float64(w), Y: float64(y0+y1) / 2 / float64(h), Radius: max(bw, bh) / 2,
			Color: colorName(sr/n, sg/n, sb/n),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].X < out[j].X })
	return notGrid(out, w, h)
}

// notGrid drops the blobs that sit in a grid of like dots, the lit dots of a dot-matrix display:
// a blob with two or more blobs of its size within four of its diameters. Indicator lights
// stand apart.
func notGrid(bs []Blob, w, h int) []Blob {
	out := []Blob{}
	for i, a := range bs {
		near := 0
		for j, b := range bs {
			if i == j || b.Radius*2 < a.Radius || a.Radius*2 < b.Radius {
				continue
			}
			dx, dy := (a.X-b.X)*float64(w), (a.Y-b.Y)*float64(h)
			if math.Hypot(dx, dy) <= float64(8*max(1, a.Radius)) {
				near++
			}
		}
		if near < 2 {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// colorName names the hue of a lit light.
func colorName(r, g, b int) string {
	hi, lo := max(r, g, b), min(r, g, b)
	if hi == lo {
		return "white"
	}
	var hue float64
	d := float64(hi - lo)
	switch hi {
	case r:
		hue = math.Mod(float64(g-b)/d, 6) * 60
	case g:
		hue = (float64(b-r)/d + 2) * 60
	default:
		hue = (float64(r-g)/d + 4) * 60
	}
	if hue < 0 {
		hue += 360
	}
	switch {
	case hue < 20 || hue >= 330:
		return "red"
	case hue < 55:
		return "amber"
	case hue < 170:
		return "green"
	case hue < 260:
		return "blue"
	}
	return "red"
}

// Stage reports the lit lights of each photo or frame, named after the pack's product layouts.
type Stage struct {
	packs packLayouts
}

// Name implements perception.Stage.
func (Stage) Name() string { return StageName }

// Accepts implements perception.Stage.
func (Stage) Accepts(k media.Kind) bool { return k == media.Image }

// Process reports one lights observation per image, with its frame time, also when no light is
// lit, so that Track can tell a blinking light from a steady one.
func (s Stage) Process(ctx context.Context, item media.Item, expect perception.Expectation) ([]perception.Observation, error) {
	img, _, err := media.DecodeImage(item.Data, media.DefaultLimits().MaxPixels)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	blobs := Find(img)
	if blobs == nil {
		blobs = []Blob{}
	}
	if s.packs != nil && expect.Pack != "" {
		if p, err := s.packs.Pack(expect.Pack); err == nil {
			Name(blobs, Layouts(p))
		}
	}
	return []perception.Observation{{
		Kind: Kind, Value: blobs, Confidence: 0.9,
		Source: perception.Source{Start: item.Offset, End: item.Offset, Region: &perception.Region{W: b.Dx(), H: b.Dy()}},
	}}, nil
}

// Frame is one frame's lit lights.
type Frame struct {
	At    time.Duration
	Blobs []Blob
}

// Light is a light followed across frames.
type Light struct {
	X, Y  float64
	Color string
	// Name is the name most of its sightings were given from the pack's product layout; "" when
	// none was.
	Name    string
	Pattern string // steady, blinking, fast
	// Lit is the share of frames, between its first and last sighting, in which it was lit.
	Lit float64
}

// Track follows lights across frames by position and colour and names each one's pattern: lit in
// nine frames of ten between its first and last sighting is steady; otherwise it blinks, fast
// when it changes more than twice a second.
func Track(frames []Frame) []Light {
	sort.Slice(frames, func(i, j int) bool { return frames[i].At < frames[j].At })
	type track struct {
		x, y  float64
		color string
		seen  []int
		names map[string]int
	}
	var ts []*track
	for fi, f := range frames {
		for _, b := range f.Blobs {
			var best *track
			bestD := 0.04
			for _, t := range ts {
				if t.color != b.Color {
					continue
				}
				if d := math.Hypot(t.x-b.X, t.y-b.Y); d < bestD {
					best, bestD = t, d
				}
			}
			if best == nil {
				best = &track{x: b.X, y: b.Y, color: b.Color, names: map[string]int{}}
				ts = append(ts, best)
			}
			if n := len(best.seen); n == 0 || best.seen[n-1] != fi {
				best.seen = append(best.seen, fi)
			}
			if b.Name != "" {
				best.names[b.Name]++
			}
		}
	}
	var out []Light
	for _, t := range ts {
		first, last := t.seen[0], t.seen[len(t.seen)-1]
		span := last - first + 1
		if len(t.seen) < 2 && len(frames) > 2 {
			continue // one sighting in a video is a reflection, not a light
		}
		lit := float64(len(t.seen)) / float64(span)
		l := Light{X: t.x, Y: t.y, Color: t.color, Lit: lit, Pattern: "steady"}
		for name, n := range t.names {
			if n > t.names[l.Name] || n == t.names[l.Name] && name < l.Name {
				l.Name = name
			}
		}
		if lit < 0.9 {
			l.Pattern = "blinking"
			changes := 0
			for i := 1; i < len(t.seen); i++ {
				if t.seen[i] != t.seen[i-1]+1 {
					changes += 2
				}
			}
			secs := (frames[last].At - frames[first].At).Seconds()
			if secs > 0 && float64(changes)/secs > 4 {
				l.Pattern = "fast"
			}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].X < out[j].X })
	return out
}
