package check

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/perception/check/micr"
	"github.com/parleyhq/parley/perception/ocr"
)

// Status is the outcome of one verification.
type Status string

// Verification outcomes. Uncertain asks the customer to retake or confirm; it accuses no one.
const (
	Pass      Status = "pass"
	Fail      Status = "fail"
	Uncertain Status = "uncertain"
)

// Names of the verifications.
const (
	VerifyRouting     = "routing_checksum"
	VerifyAmounts     = "amounts_agree"
	VerifyCheckNumber = "check_number_matches"
	VerifyDate        = "date_valid"
	VerifySignature   = "signature_present"
	VerifyEdits       = "no_local_edits"
	VerifyDuplicate   = "not_deposited_before"
)

// Verdict is the outcome of one verification with the evidence behind it.
type Verdict struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail explains the outcome in plain words.
	Detail string `json:"detail"`
	// Box is the evidence region in the rectified check.
	Box image.Rectangle `json:"box"`
	// Evidence is a PNG crop of Box, set for failed and uncertain verdicts.
	Evidence []byte `json:"-"`
}

// verify runs every verification and stores the verdicts on rd.
func (r *Reader) verify(ctx context.Context, rd *Reading) {
	var vs []Verdict
	add := func(name string, st Status, box image.Rectangle, format string, args ...any) {
		vs = append(vs, Verdict{Name: name, Status: st, Box: box, Detail: fmt.Sprintf(format, args...)})
	}
	W, H := rd.doc.Rect.Dx(), rd.doc.Rect.Dy()
	micrBox := image.Rect(0, H*80/100, W, H)

	switch {
	case rd.Routing.Found() && micr.ValidRouting(rd.Routing.Text):
		add(VerifyRouting, Pass, rd.Routing.Box, "routing number %s has a valid checksum", rd.Routing.Text)
	case rd.Routing.Found() && rd.Routing.Confidence >= 0.8:
		add(VerifyRouting, Fail, rd.Routing.Box, "routing number %s does not pass the ABA checksum", rd.Routing.Text)
	case rd.Routing.Found():
		add(VerifyRouting, Uncertain, rd.Routing.Box, "routing number %s does not pass the ABA checksum; please retake the photo so the bottom line is sharp", rd.Routing.Text)
	default:
		add(VerifyRouting, Uncertain, micrBox, "the routing number on the bottom line could not be read; please retake the photo or confirm")
	}

	amtBox := rd.Courtesy.Box.Union(rd.Legal.Box)
	switch {
	case rd.CourtesyAmount > 0 && rd.LegalAmount > 0 && math.Abs(rd.CourtesyAmount-rd.LegalAmount) < 0.005:
		add(VerifyAmounts, Pass, amtBox, "the amount in figures and in words agree: %.2f", rd.LegalAmount)
	case rd.CourtesyAmount > 0 && rd.LegalAmount > 0:
		add(VerifyAmounts, Uncertain, amtBox, "the amount in figures (%.2f) differs from the amount in words (%.2f); the words prevail; please confirm the amount", rd.CourtesyAmount, rd.LegalAmount)
	case rd.LegalAmount > 0:
		add(VerifyAmounts, Uncertain, amtBox, "only the amount in words (%.2f) could be read; please confirm the amount", rd.LegalAmount)
	case rd.CourtesyAmount > 0:
		add(VerifyAmounts, Uncertain, amtBox, "only the amount in figures (%.2f) could be read; please confirm the amount", rd.CourtesyAmount)
	default:
		add(VerifyAmounts, Uncertain, image.Rect(0, H/4, W, H*2/3), "the amount could not be read; please retake the photo")
	}

	printed := rd.CheckNumber
	switch {
	case rd.MICR == nil || rd.MICR.CheckNumber == "":
		add(VerifyCheckNumber, Uncertain, micrBox, "no check number on the MICR line to compare with the printed one")
	case printed.How == "micr":
		add(VerifyCheckNumber, Uncertain, printed.Box, "the printed check number could not be read; the MICR line says %s", rd.MICR.CheckNumber)
	case strings.TrimLeft(printed.Text, "0") == strings.TrimLeft(rd.MICR.CheckNumber, "0"):
		add(VerifyCheckNumber, Pass, printed.Box.Union(rd.MICR.Box), "the printed check number %s matches the MICR line", printed.Text)
	default:
		add(VerifyCheckNumber, Uncertain, printed.Box.Union(rd.MICR.Box), "the printed check number (%s) differs from the MICR line (%s); please retake or confirm", printed.Text, rd.MICR.CheckNumber)
	}

	if d, err := time.Parse(time.DateOnly, rd.Date.Text); err != nil {
		add(VerifyDate, Uncertain, image.Rect(W/2, 0, W, H/3), "no date could be read; please retake the photo or confirm the date")
	} else {
		now := r.now()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		switch {
		case d.After(today):
			add(VerifyDate, Fail, rd.Date.Box, "the check is post-dated (%s); it can be deposited from that date", rd.Date.Text)
		case d.Before(today.AddDate(0, -6, 0)):
			add(VerifyDate, Fail, rd.Date.Box, "the check is dated %s, more than six months ago; the bank may refuse it", rd.Date.Text)
		default:
			add(VerifyDate, Pass, rd.Date.Box, "dated %s", rd.Date.Text)
		}
	}

	if rd.Signature {
		add(VerifySignature, Pass, rd.SignatureBox, "a signature is present")
	} else {
		add(VerifySignature, Uncertain, rd.SignatureBox, "no signature was found; please check the check is signed")
	}

	var refs []image.Rectangle
	for _, f := range []Field{rd.Legal, rd.Payee, rd.Date, rd.CheckNumber, rd.Memo} {
		if !f.Box.Empty() {
			refs = append(refs, f.Box.Inset(-f.Box.Dy()/2))
		}
	}
	if ratio, ok := noiseRatio(rd.doc, rd.Courtesy.Box.Inset(-rd.Courtesy.Box.Dy()/2), refs); !ok {
		add(VerifyEdits, Uncertain, rd.Courtesy.Box, "the area around the amount could not be examined")
	} else if ratio > 2.5 || ratio < 0.4 {
		add(VerifyEdits, Uncertain, rd.Courtesy.Box, "the image texture around the amount differs from the other fields (ratio %.1f); please retake or confirm", ratio)
	} else {
		add(VerifyEdits, Pass, rd.Courtesy.Box, "the image texture around the amount matches the other fields")
	}

	rd.Fingerprint = Fingerprint(rd.doc)
	if r.store != nil {
		rec, seen, err := r.store.Seen(ctx, recordOf(rd))
		switch {
		case err != nil:
			add(VerifyDuplicate, Uncertain, rd.doc.Rect, "earlier deposits could not be checked: %v", err)
		case seen:
			add(VerifyDuplicate, Uncertain, rd.doc.Rect, "a check like this one was deposited on %s; please confirm it is a different check", rec.Time.Format(time.DateOnly))
		default:
			add(VerifyDuplicate, Pass, rd.doc.Rect, "no earlier deposit of this check")
		}
	}

	for i := range vs {
		if vs[i].Status != Pass {
			vs[i].Evidence = CropPNG(rd.doc, vs[i].Box)
		}
	}
	rd.Verification = vs
}

// CropPNG encodes the part of doc inside b (grown by a small margin) as PNG; nil when b is empty.
func CropPNG(doc *image.Gray, b image.Rectangle) []byte {
	b = b.Inset(-12).Intersect(doc.Rect)
	if b.Empty() {
		return nil
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, doc.SubImage(b)); err != nil {
		return nil
	}
	return buf.Bytes()
}

// signature looks for handwriting ink in the signature area (lower right, above the MICR band),
// ignoring ruled lines and printed words.
func signature(doc *image.Gray, words []ocr.Word) (bool, image.Rectangle) {
	W, H := doc.Rect.Dx(), doc.Rect.Dy()
	area := image.Rect(W*55/100, H*58/100, W*97/100, H*84/100)
	vals := make([]uint8, 0, area.Dx()*area.Dy())
	for y := area.Min.Y; y < area.Max.Y; y++ {
		vals = append(vals, doc.Pix[y*doc.Stride+area.Min.X:y*doc.Stride+area.Max.X]...)
	}
	if len(vals) == 0 {
		return false, area
	}
	slices.Sort(vals)
	paper := int(vals[len(vals)*3/4])
	dark := func(x, y int) bool { return int(doc.Pix[y*doc.Stride+x]) < paper-70 }
	var printed []image.Rectangle
	for _, w := range words {
		if w.Confidence > 0.6 && len(strings.TrimFunc(w.Text, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') })) >= 3 && w.Box.Overlaps(area) {
			printed = append(printed, w.Box)
		}
	}
	ink := 0
	longRun := area.Dx() * 15 / 100
	for y := area.Min.Y; y < area.Max.Y; y++ {
		run := 0
		for x := area.Min.X; x <= area.Max.X; x++ {
			if x < area.Max.X && dark(x, y) {
				run++
				continue
			}
			if run > 0 && run < longRun {
				for xx := x - run; xx < x; xx++ {
					p := image.Pt(xx, y)
					in := false
					for _, b := range printed {
						if p.In(b) {
							in = true
							break
						}
					}
					if !in {
						ink++
					}
				}
			}
			run = 0
		}
	}
	return float64(ink)/float64(area.Dx()*area.Dy()) > 0.004, area
}

// noiseRatio compares the fine texture (mean absolute Laplacian over flat paper) around the
// amount with the same measure around the other fields, which were printed and photographed the
// same way. Pasted or retouched regions carry a different noise than the photo around them.
func noiseRatio(doc *image.Gray, b image.Rectangle, refs []image.Rectangle) (float64, bool) {
	in, ok := flatNoise(doc, b)
	if !ok {
		return 0, false
	}
	var others []float64
	for _, r := range refs {
		if v, ok := flatNoise(doc, r); ok {
			others = append(others, v)
		}
	}
	if len(others) == 0 {
		return 0, false
	}
	slices.Sort(others)
	out := others[len(others)/2]
	const floor = 0.8 // below this both are clean renders: nothing to compare
	if in < floor && out < floor {
		return 1, true
	}
	return (in + 0.2) / (out + 0.2), true
}

// flatNoise is the mean absolute Laplacian over the flat (non-edge) pixels of b.
func flatNoise(doc *image.Gray, b image.Rectangle) (float64, bool) {
	b = b.Intersect(doc.Rect.Inset(2))
	if b.Dx() < 16 || b.Dy() < 8 {
		return 0, false
	}
	p, s := doc.Pix, doc.Stride
	var sum, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := y*s + x
			lo, hi := p[i], p[i]
			for _, j := range [8]int{i - 1, i + 1, i - s, i + s, i - s - 1, i - s + 1, i + s - 1, i + s + 1} {
				lo, hi = min(lo, p[j]), max(hi, p[j])
			}
			if hi-lo > 24 {
				continue // an edge of ink, not paper
			}
			sum += math.Abs(float64(int(p[i-1]) + int(p[i+1]) + int(p[i-s]) + int(p[i+s]) - 4*int(p[i])))
			n++
		}
	}
	if n < 50 {
		return 0, false
	}
	return sum / n, true
}
