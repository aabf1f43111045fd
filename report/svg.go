package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// ErrNotSVG is returned by RasterizeSVG for data that is not an SVG picture.
var ErrNotSVG = errors.New("report: not an SVG picture")

// svgCache holds the PNG of every SVG picture rasterised, by content hash and width.
var svgCache sync.Map

// RasterizeSVG renders an SVG picture as a PNG width pixels wide (its own width when width is 0
// or less), shapes with oksvg and rasterx and the <text> elements in the Go font. Results are
// cached by the picture's content, so a pack asset is rasterised once.
func RasterizeSVG(data []byte, width int) ([]byte, error) {
	if !isSVG(data) {
		return nil, ErrNotSVG
	}
	key := fmt.Sprintf("%x/%d", sha256.Sum256(data), width)
	if v, ok := svgCache.Load(key); ok {
		return v.([]byte), nil
	}
	icon, err := oksvg.ReadIconStream(bytes.NewReader(data), oksvg.IgnoreErrorMode)
	if err != nil {
		return nil, fmt.Errorf("report: svg: %w", err)
	}
	vw, vh := icon.ViewBox.W, icon.ViewBox.H
	if vw <= 0 || vh <= 0 || vw > 8000 || vh > 8000 {
		return nil, fmt.Errorf("report: svg: view box %gx%g", vw, vh)
	}
	if width <= 0 {
		width = int(vw)
	}
	width = min(width, 2000)
	scale := float64(width) / vw
	height := max(1, int(vh*scale+0.5))
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	icon.SetTarget(0, 0, float64(width), float64(height))
	icon.Draw(rasterx.NewDasher(width, height, rasterx.NewScannerGV(width, height, img, img.Bounds())), 1)
	for _, t := range svgTexts(data) {
		drawSVGText(img, t, scale, icon.ViewBox.X, icon.ViewBox.Y)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("report: svg: %w", err)
	}
	svgCache.Store(key, b.Bytes())
	return b.Bytes(), nil
}

func isSVG(data []byte) bool {
	head := data[:min(len(data), 512)]
	return bytes.Contains(head, []byte("<svg"))
}

// svgText is one <text> element of an SVG picture.
type svgText struct {
	X, Y   float64
	Size   float64
	Anchor string
	Fill   color.RGBA
	Text   string
}

// svgTexts returns the <text> elements of an SVG document, in document order; a document that
// stops parsing yields the elements before the fault.
func svgTexts(data []byte) []svgText {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	var out []svgText
	for len(out) < 200 {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "text" {
			continue
		}
		t := svgText{Size: 16, Anchor: "start", Fill: color.RGBA{0, 0, 0, 255}}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "x":
				t.X = svgNumber(a.Value)
			case "y":
				t.Y = svgNumber(a.Value)
			case "font-size":
				if v := svgNumber(a.Value); v > 0 && v < 500 {
					t.Size = v
				}
			case "text-anchor":
				t.Anchor = a.Value
			case "fill":
				if c, ok := svgColor(a.Value); ok {
					t.Fill = c
				}
			}
		}
		var s strings.Builder
		if err := collectText(dec, &s); err != nil {
			break
		}
		t.Text = strings.Join(strings.Fields(s.String()), " ")
		if t.Text != "" {
			out = append(out, t)
		}
	}
	return out
}

// collectText appends the character data up to the end of the current element.
func collectText(dec *xml.Decoder, s *strings.Builder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			s.Write(v)
		}
	}
	return nil
}

// svgNumber parses a length such as "12", "12.5" or "12px"; 0 when it does not parse.
func svgNumber(s string) float64 {
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	if f := strings.Fields(strings.ReplaceAll(s, ",", " ")); len(f) > 0 {
		s = f[0]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v {
		return 0
	}
	return v
}

// svgColor parses "#rgb" and "#rrggbb" colours and a few names.
func svgColor(s string) (color.RGBA, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "black":
		return color.RGBA{0, 0, 0, 255}, true
	case "white":
		return color.RGBA{255, 255, 255, 255}, true
	case "red":
		return color.RGBA{255, 0, 0, 255}, true
	}
	h, ok := strings.CutPrefix(s, "#")
	if !ok {
		return color.RGBA{}, false
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return color.RGBA{}, false
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, false
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}, true
}

var (
	svgFaceMu sync.Mutex
	svgFaces  = map[int]font.Face{}
)

// drawSVGText draws a text element scaled from the view box (origin ox, oy) to the image.
func drawSVGText(img *image.RGBA, t svgText, scale, ox, oy float64) {
	size := max(4, int(t.Size*scale+0.5))
	svgFaceMu.Lock()
	defer svgFaceMu.Unlock()
	f, ok := svgFaces[size]
	if !ok {
		ft, err := opentype.Parse(goregular.TTF)
		if err != nil {
			return
		}
		if f, err = opentype.NewFace(ft, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull}); err != nil {
			return
		}
		svgFaces[size] = f
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(t.Fill), Face: f}
	x := (t.X - ox) * scale
	adv := float64(d.MeasureString(t.Text)) / 64
	switch t.Anchor {
	case "middle":
		x -= adv / 2
	case "end":
		x -= adv
	}
	d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6((t.Y - oy) * scale * 64)}
	d.DrawString(t.Text)
}

// PNGOf returns an SVG picture as a PNG width pixels wide: rasterised in Go, or by ImageMagick's
// convert when the Go rasteriser cannot read it.
func PNGOf(data []byte, width int) ([]byte, error) {
	b, err := RasterizeSVG(data, width)
	if err == nil || errors.Is(err, ErrNotSVG) {
		return b, err
	}
	return convertSVG(data, width)
}

// convertSVG rasterises with ImageMagick, cached like RasterizeSVG.
func convertSVG(data []byte, width int) ([]byte, error) {
	key := fmt.Sprintf("convert/%x/%d", sha256.Sum256(data), width)
	if v, ok := svgCache.Load(key); ok {
		return v.([]byte), nil
	}
	bin := "/usr/bin/convert"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("convert"); err != nil {
			return nil, fmt.Errorf("report: svg: no rasteriser: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "svg:-", "-resize", strconv.Itoa(max(16, width))+"x", "png:-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil || sniffPNG(out) {
		if err == nil {
			svgCache.Store(key, out)
			return out, nil
		}
		return nil, fmt.Errorf("report: svg: convert: %w", err)
	}
	return nil, errors.New("report: svg: convert made no PNG")
}

func sniffPNG(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG")) }
