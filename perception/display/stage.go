package display

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// StageName is the name the display reader registers under.
const StageName = "image.display"

// KindDisplay is the observation of a whole display reading (Value: Reading).
const KindDisplay = "display"

func init() {
	perception.Register(StageName, func(env perception.Env) (perception.Stage, error) { return Stage{packs: env.Packs}, nil })
}

// Stage reads seven-segment displays in photos and video frames.
type Stage struct {
	// packs gives the error codes of the conversation's pack when the expectation carries none.
	packs perception.PackSource
}

// Name implements perception.Stage.
func (Stage) Name() string { return StageName }

// Accepts implements perception.Stage: images, including the frames of a video.
func (Stage) Accepts(k media.Kind) bool { return k == media.Image }

// Process reads the display of one image. It reports an error_code entity when the reading is a
// code (matched against the error codes of the expectation's vocabulary), the whole reading as a
// display observation, and the crop of the display as an artifact. An image without a display
// gives no observation and no error.
func (s Stage) Process(ctx context.Context, item media.Item, expect perception.Expectation) ([]perception.Observation, error) {
	img, _, err := media.DecodeImage(item.Data, media.DefaultLimits().MaxPixels)
	if err != nil {
		return nil, err
	}
	rd, err := Read(img)
	if err != nil {
		return nil, nil
	}
	region := &perception.Region{X: rd.Box.Min.X, Y: rd.Box.Min.Y, W: rd.Box.Dx(), H: rd.Box.Dy()}
	src := perception.Source{Region: region, Start: item.Offset, End: item.Offset}
	crop := cropPNG(img, rd.Box)
	obs := []perception.Observation{{Kind: KindDisplay, Value: rd, Text: rd.Text, Confidence: rd.Confidence, Source: src}}
	vocab := expect.Vocabulary
	if len(vocab) == 0 && s.packs != nil && expect.Pack != "" {
		vocab = s.packs.Vocabulary(expect.Pack)
	}
	if code, conf, ok := MatchCode(rd, codesOf(vocab)); ok {
		obs = append(obs, perception.Observation{
			Kind: perception.KindEntity, Slot: "error_code", Value: code, Text: rd.Text, Confidence: conf, Source: src,
			Attachment: &perception.Attachment{Name: "display.png", ContentType: "image/png", Data: crop},
		})
	}
	return obs, nil
}

// codesOf picks the error codes (one letter, one to three digits) out of a vocabulary.
func codesOf(vocab []string) []string {
	var out []string
	for _, w := range vocab {
		if looksLikeCode(w) {
			out = append(out, strings.ToUpper(w))
		}
	}
	return out
}

func looksLikeCode(s string) bool {
	if len(s) < 2 || len(s) > 4 || !unicode.IsLetter(rune(s[0])) {
		return false
	}
	for _, r := range s[1:] {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// MatchCode turns a reading into an error code. With known codes, the reading must equal one
// (case-insensitively) or differ from one of the same length in one character (or two read with
// little confidence); the confidence drops with every such character, to at most 0.2 of the
// reading's for a character read with full confidence. Without known codes, a reading that
// looks like a code is taken as it is, at lower confidence.
func MatchCode(rd Reading, known []string) (string, float64, bool) {
	text := strings.ToUpper(rd.Text)
	if len(known) == 0 {
		if looksLikeCode(text) {
			return text, rd.Confidence * 0.7, true
		}
		return "", 0, false
	}
	if code, conf, ok := matchDots(rd, known); ok {
		return code, conf, true
	}
	best, bestCost := "", 1e9
	for _, k := range known {
		if len(k) != len(rd.Chars) {
			continue
		}
		cost := 0.0
		for i := range k {
			if !strings.EqualFold(string(k[i]), rd.Chars[i].Char) {
				cost += 0.3 + 0.5*rd.Chars[i].Confidence
			}
		}
		if cost < bestCost {
			best, bestCost = k, cost
		}
	}
	if best == "" || bestCost > 0.8 {
		return "", 0, false
	}
	return best, rd.Confidence * max(0.2, 1-bestCost), true
}

func cropPNG(img image.Image, r image.Rectangle) []byte {
	pad := max(r.Dx(), r.Dy()) / 8
	r = r.Inset(-pad).Intersect(img.Bounds())
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return nil
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, sub.SubImage(r)); err != nil {
		return nil
	}
	return b.Bytes()
}

// matchDots matches a dot-matrix reading against the known codes dot by dot: a code costs the
// dots its characters disagree with beyond the best character's at each place, and the confidence
// is the margin over the next likeliest code, less for every dot the code disagrees with. A
// display in another maker's font, whose characters each match no shape exactly, still reads as
// the one code it can be. It is not ok for readings that are not dot-matrix or that fit no code.
func matchDots(rd Reading, known []string) (string, float64, bool) {
	if rd.Type != DotMatrix || len(rd.Chars) == 0 {
		return "", 0, false
	}
	best, bestCost, second := "", math.Inf(1), math.Inf(1)
	for _, k := range known {
		if len(k) != len(rd.Chars) {
			continue
		}
		cost := 0.0
		for i := range k {
			ch := rd.Chars[i]
			c, ok := ch.costs[upper(k[i])]
			if !ok {
				cost = math.Inf(1)
				break
			}
			cost += c - ch.costs[upper(ch.Char[0])]
		}
		switch {
		case cost < bestCost:
			best, bestCost, second = k, cost, bestCost
		case cost < second && k != best:
			second = cost
		}
	}
	// More than about four sure dots off a code is another code or none the pack knows.
	if best == "" || bestCost > 5 {
		return "", 0, false
	}
	margin := 1.0
	if !math.IsInf(second, 1) {
		margin = 1 - math.Exp(-(second-bestCost)/1.5)
	}
	abs := 0.0
	for _, ch := range rd.Chars {
		abs += ch.costs[upper(ch.Char[0])]
	}
	return best, min(1, margin*math.Exp(-(bestCost+abs/float64(len(rd.Chars)))/8)) * (0.5 + 0.5*rd.Contrast), true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
