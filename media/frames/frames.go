// Package frames chooses the frames of a video that perception reads: from the frames ffmpeg
// samples, a frame where the scene changes (a light goes on, the camera moves to the rating plate)
// starts a new stretch, the sharpest frame of each stretch is kept, and blurred frames are dropped
// while a sharper one of the same stretch exists.
package frames

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"runtime"
	"sync"

	"github.com/parleyhq/parley/media"
)

// Expander splits a video into items, as media.ExpandVideo does.
type Expander func(ctx context.Context, item media.Item, limits media.Limits, fps float64) ([]media.Item, error)

// Options tune the selection.
type Options struct {
	// MinFPS is the lowest rate frames are sampled at before the selection, so that a light
	// blinking once a second is seen both lit and dark.
	MinFPS float64
	// Max is the most frames kept.
	Max int
	// Change is the change of one cell of the frame's thumbnail (0-255) that starts a new stretch.
	Change float64
	// Every keeps at least one frame of each stretch of this many seconds even without change.
	Every float64
}

// DefaultOptions are the options Selecting uses when given none.
func DefaultOptions() Options { return Options{MinFPS: 5, Max: 16, Change: 28, Every: 1} }

// Selecting wraps an expander: it samples at least o.MinFPS and keeps the frames Select chooses,
// with every non-frame item (the audio track) as it was.
func Selecting(base Expander, o Options) Expander {
	return func(ctx context.Context, item media.Item, limits media.Limits, fps float64) ([]media.Item, error) {
		items, err := base(ctx, item, limits, max(fps, o.MinFPS))
		if err != nil {
			return nil, err
		}
		return Select(items, o), nil
	}
}

// Score is what the selection measured on one frame.
type Score struct {
	// Sharpness is the variance of the Laplacian of the grey image.
	Sharpness float64
	// Change is the largest change of a thumbnail cell from the previous frame.
	Change float64
	thumb  []float64
}

// Select keeps the frames worth reading from a video's items, in time order. Items that are not
// image frames of modality video pass through untouched, in their places after the frames.
func Select(items []media.Item, o Options) []media.Item {
	if o.Max <= 0 {
		o = DefaultOptions()
	}
	var idx []int
	var rest []media.Item
	for i, it := range items {
		if it.Kind == media.Image && it.Modality == media.ModVideo {
			idx = append(idx, i)
		} else {
			rest = append(rest, it)
		}
	}
	if len(idx) <= 1 {
		return items
	}
	scores := make([]Score, len(idx))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				scores[j] = measure(items[idx[j]].Data)
			}
		}()
	}
	for j := range idx {
		next <- j
	}
	close(next)
	wg.Wait()
	keep := choose(scores, offsets(items, idx), o)
	var out []media.Item
	for _, j := range keep {
		out = append(out, items[idx[j]])
	}
	return append(out, rest...)
}

func offsets(items []media.Item, idx []int) []float64 {
	out := make([]float64, len(idx))
	for j, i := range idx {
		out[j] = items[i].Offset.Seconds()
	}
	return out
}

// choose returns the indices of the frames kept: the sharpest of each stretch, a stretch ending
// where a thumbnail cell changes by more than o.Change from the stretch's first frame or after
// o.Every seconds.
func choose(scores []Score, at []float64, o Options) []int {
	type stretch struct{ first, best int }
	var ss []stretch
	cur := stretch{0, 0}
	for j := 1; j < len(scores); j++ {
		if cellChange(scores[cur.first].thumb, scores[j].thumb) > o.Change || at[j]-at[cur.first] >= o.Every {
			ss = append(ss, cur)
			cur = stretch{j, j}
			continue
		}
		if scores[j].Sharpness > scores[cur.best].Sharpness {
			cur.best = j
		}
	}
	ss = append(ss, cur)
	keep := make([]int, 0, len(ss))
	for _, s := range ss {
		keep = append(keep, s.best)
	}
	if len(keep) > o.Max {
		// Too many stretches: split the video into o.Max equal spans of time and keep the sharpest
		// frame of each, so that every scene (the rating plate, the panel) stays represented.
		t0, t1 := at[0], at[len(at)-1]
		span := (t1 - t0) / float64(o.Max)
		var out []int
		for b := 0; b < o.Max; b++ {
			best := -1
			for _, j := range keep {
				bin := int((at[j] - t0) / span)
				if span <= 0 || bin >= o.Max {
					bin = o.Max - 1
				}
				if bin == b && (best < 0 || scores[j].Sharpness > scores[best].Sharpness) {
					best = j
				}
			}
			if best >= 0 {
				out = append(out, best)
			}
		}
		keep = out
	}
	return keep
}

func cellChange(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// thumbW and thumbH are the thumbnail's cells.
const thumbW, thumbH = 64, 36

// measure decodes a JPEG frame and measures its sharpness and its thumbnail.
func measure(data []byte) Score {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return Score{}
	}
	return Measure(img)
}

// Measure returns the sharpness (variance of the Laplacian of the grey image, sampled every
// other pixel) and the thumbnail of an image.
func Measure(img image.Image) Score {
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	if w < 3 || h < 3 {
		return Score{}
	}
	gray := make([]float64, w*h)
	if yc, ok := img.(*image.YCbCr); ok {
		for y := 0; y < h; y++ {
			row := yc.Y[yc.YOffset(yc.Rect.Min.X, yc.Rect.Min.Y+2*y):]
			for x := 0; x < w; x++ {
				gray[y*w+x] = float64(row[2*x])
			}
		}
	} else {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bb, _ := img.At(b.Min.X+2*x, b.Min.Y+2*y).RGBA()
				gray[y*w+x] = float64(299*r+587*g+114*bb) / 1000 / 257
			}
		}
	}
	var sum, sum2 float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := 4*gray[i] - gray[i-1] - gray[i+1] - gray[i-w] - gray[i+w]
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / float64(n)
	// The thumbnail holds each cell's mean luma and, for a JPEG, chroma: a small light turning
	// red or green changes the chroma of its cell far more than its brightness.
	const cells = thumbW * thumbH
	thumb := make([]float64, 3*cells)
	counts := make([]float64, cells)
	yc, isYC := img.(*image.YCbCr)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := (y*thumbH/h)*thumbW + x*thumbW/w
			thumb[c] += gray[y*w+x]
			if isYC {
				ci := yc.COffset(yc.Rect.Min.X+2*x, yc.Rect.Min.Y+2*y)
				thumb[cells+c] += float64(yc.Cb[ci])
				thumb[2*cells+c] += float64(yc.Cr[ci])
			}
			counts[c]++
		}
	}
	for i := range thumb {
		if counts[i%cells] > 0 {
			thumb[i] /= counts[i%cells]
		}
	}
	return Score{Sharpness: sum2/float64(n) - mean*mean, thumb: thumb}
}
