// Package label reads model numbers from rating plates and stickers in photos and video frames.
// It locates a bright, colourless plate with dark print, reads it with Tesseract and matches what
// it read against the pack's model list (the expectation's vocabulary), allowing one edit and the
// usual OCR confusions (O for 0, I for 1, S for 5, B for 8). The stage is image.label.
package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"unicode"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/display"
	"github.com/parleyhq/parley/perception/ocr"
)

// StageName is the name the label reader registers under.
const StageName = "image.label"

// Kind is the observation kind of a model number read from a label.
const Kind = "model"

// ErrNoPlate is returned when no rating plate is found.
var ErrNoPlate = errors.New("label: no rating plate found")

func init() {
	perception.Register(StageName, func(env perception.Env) (perception.Stage, error) {
		pool, err := ocr.NewPool(1)
		if err != nil {
			return nil, errors.Join(perception.ErrUnavailable, err)
		}
		return &Stage{ocr: pool, done: map[string]bool{}, reads: map[string]int{}, packs: env.Packs}, nil
	})
}

// Plate finds the largest bright, colourless region with dark print inside: a rating plate or a
// sticker.
func Plate(img image.Image) (image.Rectangle, error) {
	m := display.RGBA(img)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	const cell = 8
	gw, gh := w/cell, h/cell
	if gw < 4 || gh < 4 {
		return image.Rectangle{}, ErrNoPlate
	}
	// A cell is plate when most of it is bright and grey.
	plate := make([]bool, gw*gh)
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			n := 0
			for y := gy * cell; y < (gy+1)*cell; y++ {
				p := m.Pix[y*m.Stride+4*gx*cell:]
				for x := 0; x < cell; x++ {
					r, g, b := int(p[4*x]), int(p[4*x+1]), int(p[4*x+2])
					if min(r, g, b) >= 190 && max(r, g, b)-min(r, g, b) < 30 {
						n++
					}
				}
			}
			plate[gy*gw+gx] = n >= cell*cell/3
		}
	}
	best, bestN := image.Rectangle{}, 0
	seen := make([]bool, len(plate))
	for i := range plate {
		if !plate[i] || seen[i] {
			continue
		}
		r := image.Rect(i%gw, i/gw, i%gw+1, i/gw+1)
		stack := []int{i}
		seen[i] = true
		n := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := j%gw, j/gw
			r = r.Union(image.Rect(x, y, x+1, y+1))
			for _, k := range [4]int{j - 1, j + 1, j - gw, j + gw} {
				if k >= 0 && k < len(plate) && plate[k] && !seen[k] && abs(k%gw-x) <= 1 {
					seen[k] = true
					stack = append(stack, k)
				}
			}
		}
		if n > bestN {
			best, bestN = r, n
		}
	}
	if bestN < gw*gh/40 {
		return image.Rectangle{}, ErrNoPlate
	}
	box := image.Rect(best.Min.X*cell, best.Min.Y*cell, best.Max.X*cell, best.Max.Y*cell)
	// Print: dark pixels inside the plate.
	dark, all := 0, 0
	for y := box.Min.Y; y < box.Max.Y; y += 2 {
		for x := box.Min.X; x < box.Max.X; x += 2 {
			p := m.Pix[y*m.Stride+4*x:]
			all++
			if int(p[0])+int(p[1])+int(p[2]) < 3*110 {
				dark++
			}
		}
	}
	if all == 0 || dark*100 < all || dark*100 > all*40 {
		return image.Rectangle{}, ErrNoPlate
	}
	return box, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Match finds a model of models in OCR text: a token equal to a model once letters, digits and
// the usual confusions are normalised, or one edit away from it. It returns the model and a
// confidence factor (1 for exact, 0.75 for one edit).
func Match(text string, models []string) (string, float64, bool) {
	toks := tokens(text)
	best, bestF := "", 0.0
	for _, m := range models {
		want := squash(m)
		if len(want) < 4 {
			continue
		}
		for _, t := range toks {
			switch d := distance(fold(t), fold(want)); {
			case d == 0 && bestF < 1:
				best, bestF = m, 1
			case d == 1 && bestF < 0.75 && len(want) >= 5:
				best, bestF = m, 0.75
			}
		}
	}
	return best, bestF, best != ""
}

// tokens splits OCR text into candidate model tokens, also joining neighbours ("WM 4500").
func tokens(text string) []string {
	f := strings.FieldsFunc(strings.ToUpper(text), func(r rune) bool { return unicode.IsSpace(r) || r == ':' || r == ',' })
	var out []string
	for i, w := range f {
		out = append(out, squash(w))
		if i+1 < len(f) {
			out = append(out, squash(w+f[i+1]))
		}
	}
	return out
}

func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold maps characters OCR confuses onto one.
func fold(s string) string {
	return strings.NewReplacer("O", "0", "I", "1", "L", "1", "S", "5", "B", "8", "Z", "2", "G", "6").Replace(s)
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// models picks the product models out of a vocabulary: words with letters and at least three
// digits that are not error codes.
func models(vocab []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range vocab {
		s := squash(w)
		digits := 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= 3 && len(s) >= 5 && digits < len(s) && !seen[s] {
			seen[s] = true
			out = append(out, w)
		}
	}
	return out
}

// maxReads is how many frames of one video part the stage reads with Tesseract at most.
const maxReads = 3

// Stage reads model numbers from rating plates. It reads one frame of a video part at a time,
// stops once it has a confident reading and reads at most maxReads frames of a part.
type Stage struct {
	// packs gives the model list of the conversation's pack when the expectation carries none.
	packs perception.PackSource
	ocr   *ocr.Pool
	// read serialises the Tesseract reads; mu guards done and reads.
	read  sync.Mutex
	mu    sync.Mutex
	done  map[string]bool
	reads map[string]int
}

// Name implements perception.Stage.
func (*Stage) Name() string { return StageName }

// Accepts implements perception.Stage.
func (*Stage) Accepts(k media.Kind) bool { return k == media.Image }

// Close releases the Tesseract clients.
func (s *Stage) Close(ctx context.Context) error { return s.ocr.Close(ctx) }

// open reports whether the part under key still needs reading, forgetting old parts now and then.
func (s *Stage) open(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reads) > 10000 {
		clear(s.reads)
		clear(s.done)
	}
	return !s.done[key] && s.reads[key] < maxReads
}

// Process reads the model number on the rating plate of one image, when there is a plate.
func (s *Stage) Process(ctx context.Context, item media.Item, expect perception.Expectation) ([]perception.Observation, error) {
	vocab := expect.Vocabulary
	if len(vocab) == 0 && s.packs != nil && expect.Pack != "" {
		vocab = s.packs.Vocabulary(expect.Pack)
	}
	ms := models(vocab)
	if len(ms) == 0 {
		return nil, nil
	}
	key := fmt.Sprintf("%s/%d", item.MessageID, item.Part)
	if !s.open(key) {
		return nil, nil
	}
	img, _, err := media.DecodeImage(item.Data, media.DefaultLimits().MaxPixels)
	if err != nil {
		return nil, err
	}
	box, err := Plate(img)
	if err != nil {
		return nil, nil
	}
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(box)
	s.read.Lock()
	defer s.read.Unlock()
	if !s.open(key) {
		return nil, nil
	}
	s.mu.Lock()
	s.reads[key]++
	s.mu.Unlock()
	res, err := s.ocr.Read(ctx, sub, ocr.Options{PSM: ocr.PSMBlock})
	if err != nil {
		return nil, err
	}
	model, f, ok := Match(res.Text, ms)
	if !ok {
		return nil, nil
	}
	conf := f * max(0.5, res.Confidence)
	if conf >= 0.6 {
		s.mu.Lock()
		s.done[key] = true
		s.mu.Unlock()
	}
	var crop bytes.Buffer
	png.Encode(&crop, sub)
	src := perception.Source{Region: &perception.Region{X: box.Min.X, Y: box.Min.Y, W: box.Dx(), H: box.Dy()}, Start: item.Offset, End: item.Offset}
	att := &perception.Attachment{Name: "label.png", ContentType: "image/png", Data: crop.Bytes()}
	obs := []perception.Observation{{Kind: Kind, Value: model, Text: res.Text, Confidence: conf, Source: src, Attachment: att}}
	// The plate names the product as surely as it names the model: its evidence stands beside
	// what the customer says the product is, and the two are weighed against each other.
	if name := s.productOf(expect.Pack, model); name != "" {
		obs = append(obs, perception.Observation{Kind: perception.KindEntity, Slot: "product", Value: name, Text: model, Confidence: conf, Source: src, Attachment: att})
	}
	return obs, nil
}

// productLookup finds a pack's product by its model number.
type productLookup interface {
	Pack(name string) (*kb.Pack, error)
}

// productOf returns the name of the pack's product with the model number, "" when unknown.
func (s *Stage) productOf(pack, model string) string {
	lib, ok := s.packs.(productLookup)
	if !ok || pack == "" {
		return ""
	}
	p, err := lib.Pack(pack)
	if err != nil {
		return ""
	}
	if pr, ok := p.ProductByModel(model); ok {
		return pr.Name
	}
	return ""
}
