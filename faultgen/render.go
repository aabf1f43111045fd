// Package faultgen renders test videos of product faults: appliance panels whose seven-segment
// or 5x7 dot-matrix display shows an error code and whose indicator lights blink, routers with coloured blinking
// lights, rating plates with the model number, with camera shake, blur, glare and noise, narrated
// by several text-to-speech voices (half of them never naming the code) and muxed with ffmpeg, and
// the ground truth of each.
package faultgen

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/parleyhq/parley/perception/display"
)

// segments are the lit segments (a..g) of the characters a seven-segment display shows.
var segments = map[rune]string{
	'0': "abcdef", '1': "bc", '2': "abdeg", '3': "abcdg", '4': "bcfg", '5': "acdfg", '6': "acdefg", '7': "abc",
	'8': "abcdefg", '9': "abcdfg", 'E': "adefg", 'F': "aefg", 'd': "bcdeg", 'C': "adef", 'H': "bcefg",
	'L': "def", 'P': "abefg", 'U': "bcdef", '-': "g",
}

// DrawSevenSeg draws text as seven-segment characters of height h with the top-left corner at
// (x, y), in colour c; unlit segments are drawn in ghost (nil for none).
func DrawSevenSeg(dst draw.Image, text string, x, y, h int, c color.Color, ghost color.Color) {
	w, t := h/2, max(3, h/9)
	for i, ch := range text {
		cx := x + i*(w+h/4)
		rects := map[rune]image.Rectangle{
			'a': image.Rect(cx+t, y, cx+w-t, y+t), 'g': image.Rect(cx+t, y+h/2-t/2, cx+w-t, y+h/2+t/2),
			'd': image.Rect(cx+t, y+h-t, cx+w-t, y+h), 'f': image.Rect(cx, y+t, cx+t, y+h/2-t/2),
			'b': image.Rect(cx+w-t, y+t, cx+w, y+h/2-t/2), 'e': image.Rect(cx, y+h/2+t/2, cx+t, y+h-t),
			'c': image.Rect(cx+w-t, y+h/2+t/2, cx+w, y+h-t),
		}
		lit := segments[ch]
		for _, s := range "abcdefg" {
			switch {
			case strings.ContainsRune(lit, s):
				fill(dst, rects[s], c)
			case ghost != nil:
				fill(dst, rects[s], ghost)
			}
		}
	}
}

func fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// disc draws a filled circle.
func disc(dst *image.RGBA, cx, cy, r int, c color.RGBA) {
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r && image.Pt(x, y).In(dst.Rect) {
				dst.SetRGBA(x, y, c)
			}
		}
	}
}

// glare brightens a soft disc towards white, as a lamp reflected in the panel.
func glare(dst *image.RGBA, cx, cy, r int, strength float64) {
	for y := max(0, cy-r); y < min(dst.Rect.Dy(), cy+r); y++ {
		for x := max(0, cx-r); x < min(dst.Rect.Dx(), cx+r); x++ {
			d := math.Hypot(float64(x-cx), float64(y-cy)) / float64(r)
			if d >= 1 {
				continue
			}
			a := strength * (1 - d*d)
			i := dst.PixOffset(x, y)
			for k := 0; k < 3; k++ {
				v := float64(dst.Pix[i+k])
				dst.Pix[i+k] = uint8(v + (255-v)*a)
			}
		}
	}
}

var faces = map[float64]font.Face{}

func face(size float64) font.Face {
	if f, ok := faces[size]; ok {
		return f
	}
	ft, err := opentype.Parse(gobold.TTF)
	if err != nil {
		panic(err) // the embedded font always parses
	}
	f, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(err)
	}
	faces[size] = f
	return f
}

// text draws s with its baseline starting at (x, y).
func text(dst draw.Image, s string, x, y int, size float64, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face(size), Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func hexColor(s string) color.RGBA {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return color.RGBA{255, 48, 48, 255}
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return color.RGBA{255, 48, 48, 255}
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// lightColors are how the named light colours are rendered.
var lightColors = map[string]color.RGBA{
	"red": {240, 40, 30, 255}, "green": {40, 220, 80, 255}, "amber": {255, 170, 0, 255}, "off": {60, 60, 60, 255},
}

// DrawDotMatrix draws text as 5x7 dot-matrix characters with the top-left dot's corner at (x, y),
// dots pitch pixels apart, in colour c; unlit dots are drawn in ghost (nil for none). Round dots
// are LEDs; square ones (round false) are the pixels of a liquid-crystal dot matrix. A character
// cell is six columns wide: five of dots and one blank.
func DrawDotMatrix(dst *image.RGBA, text string, x, y, pitch int, round bool, c color.RGBA, ghost *color.RGBA) {
	dot := max(2, pitch*3/4)
	if !round {
		dot = max(2, pitch*85/100)
	}
	for i := 0; i < len(text); i++ {
		g, ok := display.DotGlyph(text[i])
		if !ok {
			continue
		}
		cx := x + i*6*pitch
		for row := 0; row < 7; row++ {
			for col := 0; col < 5; col++ {
				on := g[row]&(1<<(4-col)) != 0
				if !on && ghost == nil {
					continue
				}
				k := c
				if !on {
					k = *ghost
				}
				px, py := cx+col*pitch, y+row*pitch
				if round {
					disc(dst, px+dot/2, py+dot/2, dot/2, k)
				} else {
					fill(dst, image.Rect(px, py, px+dot, py+dot), k)
				}
			}
		}
	}
}
