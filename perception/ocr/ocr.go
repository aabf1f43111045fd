// Package ocr reads text from images with Tesseract (libtesseract 5 through cgo). A Pool keeps
// initialised Tesseract clients for reuse, each limited to one OpenMP thread, so concurrency comes
// from the pool and not from threads inside one call.
package ocr

/*
#cgo LDFLAGS: -lgomp
void omp_set_num_threads(int);
void omp_set_max_active_levels(int);
static void parley_omp_single(void) {
	omp_set_max_active_levels(0);
	omp_set_num_threads(1);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"
)

func init() {
	// libgomp reads OMP_THREAD_LIMIT when it is loaded; the variable is kept for child processes
	// (the tesseract command line in benchmarks) and parley_omp_single limits this process.
	if os.Getenv("OMP_THREAD_LIMIT") == "" {
		os.Setenv("OMP_THREAD_LIMIT", "1")
	}
}

// Sentinel errors of the package.
var (
	ErrUnavailable = errors.New("ocr: tesseract with the eng model is not installed")
	ErrClosed      = errors.New("ocr: pool closed")
	ErrEmptyImage  = errors.New("ocr: empty image")
)

// PSM is a Tesseract page segmentation mode.
type PSM int

// Page segmentation modes used by Parley.
const (
	PSMAuto       PSM = 3  // fully automatic layout, no orientation detection
	PSMSingleCol  PSM = 4  // one column of text of variable sizes
	PSMBlock      PSM = 6  // one uniform block of text
	PSMSingleLine PSM = 7  // one line of text (field crops)
	PSMSingleWord PSM = 8  // one word
	PSMSparse     PSM = 11 // as much text as possible in no particular order
	PSMRawLine    PSM = 13 // one line, bypassing Tesseract's layout hacks
)

// Digits is a whitelist for numeric fields.
const Digits = "0123456789"

// Options tune one read.
type Options struct {
	// PSM is the page segmentation mode; zero means PSMAuto.
	PSM PSM
	// Whitelist restricts the characters Tesseract may output; empty allows all.
	Whitelist string
	// DPI is the resolution of the image in pixels per inch; zero means 300.
	DPI int
}

// Word is one recognised word with its box in image pixels and Tesseract's confidence (0..1).
type Word struct {
	Text       string          `json:"text"`
	Box        image.Rectangle `json:"box"`
	Confidence float64         `json:"confidence"`
	Block      int             `json:"block"`
	Line       int             `json:"line"`
}

// Result is the outcome of one read.
type Result struct {
	// Text is the words joined by spaces, one recognised line per text line.
	Text string `json:"text"`
	// Words are the recognised words in reading order.
	Words []Word `json:"words"`
	// Confidence is the mean word confidence (0..1), zero when nothing was read.
	Confidence float64 `json:"confidence"`
}

// Lines groups the words by Tesseract's text lines, in reading order.
func (r Result) Lines() [][]Word {
	var lines [][]Word
	for i, w := range r.Words {
		if i == 0 || w.Block != r.Words[i-1].Block || w.Line != r.Words[i-1].Line {
			lines = append(lines, nil)
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], w)
	}
	return lines
}

// Pool holds reusable Tesseract clients. It is safe for concurrent use.
type Pool struct {
	free   chan *gosseract.Client
	mu     sync.Mutex
	all    []*gosseract.Client
	closed bool
}

var (
	availOnce sync.Once
	availErr  error
)

// Available reports whether libtesseract can load the English model here.
func Available() error {
	availOnce.Do(func() {
		langs, err := gosseract.GetAvailableLanguages()
		if err != nil {
			availErr = fmt.Errorf("%w: %v", ErrUnavailable, err)
			return
		}
		for _, l := range langs {
			if l == "eng" {
				return
			}
		}
		availErr = fmt.Errorf("%w: no eng.traineddata (apt-get install tesseract-ocr-eng)", ErrUnavailable)
	})
	return availErr
}

// NewPool returns a pool of at most size clients (runtime.NumCPU() when size <= 0). Clients are
// created on first use and kept until Close.
func NewPool(size int) (*Pool, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if size <= 0 {
		size = runtime.NumCPU()
	}
	C.parley_omp_single()
	p := &Pool{free: make(chan *gosseract.Client, size)}
	for range size {
		p.free <- nil // a slot; the client is made when first taken
	}
	return p, nil
}

func (p *Pool) get(ctx context.Context) (*gosseract.Client, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case c := <-p.free:
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			p.free <- c
			return nil, ErrClosed
		}
		if c == nil {
			c = gosseract.NewClient()
			if d := engPrefix(); d != "" {
				c.SetTessdataPrefix(d)
			}
			c.Trim = true
			c.DisableOutput()
			// Printed documents are dark on light: skip Tesseract's second pass over every
			// low-confidence line looking for inverted text, a large share of its time.
			c.SetVariable("tessedit_do_invert", "0")
			// Initialise now: Tesseract's Init resets the page segmentation mode, so a mode set
			// before the first recognition would be lost on the first read only.
			c.SetImageFromBytes(encodePGM(image.NewGray(image.Rect(0, 0, 8, 8))))
			c.Text()
			p.all = append(p.all, c)
		}
		return c, nil
	}
}

// Read recognises the text of img with the given options.
func (p *Pool) Read(ctx context.Context, img image.Image, opts Options) (Result, error) {
	if img == nil || img.Bounds().Empty() {
		return Result{}, ErrEmptyImage
	}
	data := encodePGM(img)
	c, err := p.get(ctx)
	if err != nil {
		return Result{}, err
	}
	defer func() { p.free <- c }()

	// Keep every call of this read on one OS thread: OpenMP settings are per thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.parley_omp_single()

	psm, dpi := opts.PSM, opts.DPI
	if psm == 0 {
		psm = PSMAuto
	}
	if dpi <= 0 {
		dpi = 300
	}
	c.SetVariable("user_defined_dpi", strconv.Itoa(dpi))
	c.SetVariable(gosseract.TESSEDIT_CHAR_WHITELIST, opts.Whitelist)
	c.SetPageSegMode(gosseract.PageSegMode(psm))
	if err := c.SetImageFromBytes(data); err != nil {
		return Result{}, fmt.Errorf("ocr: %w", err)
	}
	boxes, err := c.GetBoundingBoxesVerbose()
	if err != nil {
		return Result{}, fmt.Errorf("ocr: %w", err)
	}
	off := img.Bounds().Min
	var res Result
	var b strings.Builder
	sum := 0.0
	for _, bx := range boxes {
		t := strings.TrimSpace(bx.Word)
		if t == "" {
			continue
		}
		w := Word{Text: t, Box: bx.Box.Add(off), Confidence: bx.Confidence / 100,
			Block: bx.BlockNum, Line: bx.ParNum*1000 + bx.LineNum}
		if len(res.Words) > 0 {
			prev := res.Words[len(res.Words)-1]
			if prev.Block != w.Block || prev.Line != w.Line {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
		sum += w.Confidence
		res.Words = append(res.Words, w)
	}
	res.Text = b.String()
	if len(res.Words) > 0 {
		res.Confidence = sum / float64(len(res.Words))
	}
	return res, nil
}

// Close frees every client. Reads in flight finish first; later reads fail with ErrClosed.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	n := cap(p.free)
	p.mu.Unlock()
	for range n {
		select {
		case <-p.free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.all {
		c.Close()
	}
	p.all = nil
	for range n {
		p.free <- nil
	}
	return nil
}

// encodePGM writes img as a binary 8-bit greyscale PNM, which Leptonica reads without decompression.
func encodePGM(img image.Image) []byte {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	head := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	out := make([]byte, len(head)+w*h)
	copy(out, head)
	px := out[len(head):]
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(px[y*w:(y+1)*w], g.Pix[(y+r.Min.Y-g.Rect.Min.Y)*g.Stride+(r.Min.X-g.Rect.Min.X):])
		}
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			cr, cg, cb, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			px[y*w+x] = uint8((19595*cr + 38470*cg + 7471*cb + 1<<15) >> 24)
		}
	}
	return out
}
