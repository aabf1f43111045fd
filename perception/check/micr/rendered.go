package micr

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand"
	"strings"
)

// RenderedExamples draws n MICR lines from the standard's glyph geometry with random fields, at
// random scales, stroke weights and blur: the prior the learned classifier is fitted with
// besides real print, so that it also reads lines drawn to the standard (the generated checks).
// The same seed gives the same lines.
func RenderedExamples(n int, seed int64) []Example {
	rng := rand.New(rand.NewSource(seed))
	digits := func(k int) string {
		var b strings.Builder
		for i := 0; i < k; i++ {
			b.WriteByte(byte('0' + rng.Intn(10)))
		}
		return b.String()
	}
	out := make([]Example, 0, n)
	for i := 0; i < n; i++ {
		var text string
		switch rng.Intn(4) {
		case 0:
			text = "T" + digits(9) + "T " + digits(4+rng.Intn(6)) + "U" + digits(4)
		case 1:
			text = "U" + digits(6) + "U T" + digits(9) + "T " + digits(3) + "D" + digits(4) + "U"
		case 2:
			text = "A" + digits(10) + "A"
		default:
			text = "T" + digits(9) + "T " + digits(3) + "D" + digits(5) + "U " + digits(4)
		}
		scale := 2.5 + 4*rng.Float64()
		bold := 0.4 * rng.Float64()
		img := renderBold(text, scale, bold)
		if sigma := 1.2 * rng.Float64() * scale / 3; sigma > 0.3 {
			img = blurGray(img, sigma)
		}
		out = append(out, Example{Name: fmt.Sprintf("rendered-%04d", i), Image: img, Truth: strings.ReplaceAll(text, " ", "")})
	}
	return out
}

// renderBold draws text like LineImage with every stroke grown by bold units on each side.
func renderBold(text string, scale, bold float64) *image.Gray {
	n := len([]rune(text))
	adv := Advance(scale)
	w := int(math.Ceil(float64(n+2) * adv))
	h := int(math.Ceil(GlyphRows*scale + adv))
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i, ch := range []rune(text) {
		g, ok := GlyphFor(ch)
		if !ok {
			continue
		}
		rects := make([]Rect, len(g.Rects)) // the shared outlines stay as they are
		for k, q := range g.Rects {
			rects[k] = Rect{q.X0 - bold, q.Y0 - bold, q.X1 + bold, q.Y1 + bold}
		}
		g.Rects = rects
		right := adv + float64(i+1)*adv - 1.3*scale
		g.Draw(img, right-g.Width*scale, adv/2, scale, color.Black)
	}
	return img
}

// blurGray blurs a gray image with a gaussian of sigma pixels.
func blurGray(img *image.Gray, sigma float64) *image.Gray {
	g := toGray(img)
	g = gaussian(g, sigma)
	out := image.NewGray(img.Bounds())
	for i, v := range g.p {
		out.Pix[i] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
	}
	return out
}
