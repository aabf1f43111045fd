// Package check reads and verifies photos of US bank checks: it finds and rectifies the check
// (imagequal), reads the printed fields with Tesseract (ocr) guided by the layout anchors every
// check carries ("PAY TO THE ORDER OF", "DATE", "$", "DOLLARS", "MEMO"), reads the E-13B MICR line
// (micr), and verifies what it read: routing checksum, courtesy against legal amount, MICR against
// printed check number, date, signature, signs of local editing, and earlier deposits of the same
// check. Doubts are reported as "uncertain", never as fraud.
package check

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/perception/check/micr"
	"github.com/parleyhq/parley/perception/imagequal"
	"github.com/parleyhq/parley/perception/ocr"
)

// ErrNotCheck means the image does not look like a check.
var ErrNotCheck = errors.New("check: this does not look like a check")

// NotCheckText is what the customer is told when the photo is not a check.
const NotCheckText = "this does not look like a check"

// Field is one value read from the check.
type Field struct {
	Text       string          `json:"text"`
	Confidence float64         `json:"confidence"`
	Box        image.Rectangle `json:"box"` // in the rectified check
	// How says where the value came from: page (full-page reading), crop (a field crop read
	// again), micr, or enhanced (read again on the enhanced image).
	How string `json:"how,omitempty"`
}

// Found reports whether the field was read.
func (f Field) Found() bool { return f.Text != "" }

// MICRLine is the MICR line as read.
type MICRLine struct {
	Text        string          `json:"text"`
	Routing     string          `json:"routing,omitempty"`
	Account     string          `json:"account,omitempty"`
	CheckNumber string          `json:"check_number,omitempty"`
	Confidence  float64         `json:"confidence"`
	Box         image.Rectangle `json:"box"`
}

// Reading is everything read from one photo of a check.
type Reading struct {
	IsCheck bool             `json:"is_check"`
	Quality imagequal.Report `json:"quality"`
	// Amount is what the check pays: the legal (written) amount when read, as banks do, otherwise
	// the courtesy (numeric) amount.
	Amount         float64         `json:"amount"`
	CourtesyAmount float64         `json:"courtesy_amount"`
	LegalAmount    float64         `json:"legal_amount_value"`
	Courtesy       Field           `json:"courtesy"`
	Legal          Field           `json:"legal_amount"`
	Payee          Field           `json:"payee"`
	Date           Field           `json:"date"` // Text is ISO 8601 (2026-11-20)
	Memo           Field           `json:"memo"`
	CheckNumber    Field           `json:"check_number"`
	Signature      bool            `json:"signature"`
	SignatureBox   image.Rectangle `json:"signature_box"`
	MICR           *MICRLine       `json:"micr,omitempty"`
	Routing        Field           `json:"routing"`
	Account        Field           `json:"account"`
	Verification   []Verdict       `json:"verification"`
	// Enhanced is true when the fields come from a second reading of the enhanced image.
	Enhanced    bool   `json:"enhanced"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Text is the full-page OCR text, for debugging and search.
	Text string `json:"text,omitempty"`

	doc   *image.Gray
	an    imagequal.Analysis
	words []ocr.Word
}

// Document returns the rectified check image the fields were read from.
func (r *Reading) Document() *image.Gray { return r.doc }

// ToSource maps a box of the rectified check to the source photo.
func (r *Reading) ToSource(b image.Rectangle) image.Rectangle {
	if r.an.Document == nil || b.Empty() {
		return b
	}
	return r.an.ToSource(b)
}

// Confirmed reports whether the reading stands on its own despite any quality issue: the amount
// in figures and in words agree and the date was read. A photo with quality issues that still
// reads this well need not be retaken.
func (r *Reading) Confirmed() bool {
	if !r.IsCheck || !r.Date.Found() {
		return false
	}
	for _, v := range r.Verification {
		if v.Name == VerifyAmounts {
			return v.Status == Pass
		}
	}
	return false
}

// Reader reads checks. It is safe for concurrent use.
type Reader struct {
	pool  *ocr.Pool
	now   func() time.Time
	store FingerprintStore
	width int
}

// Options configure a Reader.
type Options struct {
	// Now is the clock for the date checks; time.Now when nil.
	Now func() time.Time
	// Store holds fingerprints of deposited checks; duplicate detection is skipped when nil.
	Store FingerprintStore
	// Width is the width the check is rectified to before reading; imagequal.NormWidth when 0.
	Width int
}

// NewReader returns a Reader that reads through pool.
func NewReader(pool *ocr.Pool, o Options) *Reader {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Width <= 0 {
		o.Width = imagequal.NormWidth
	}
	return &Reader{pool: pool, now: o.Now, store: o.Store, width: o.Width}
}

// Read reads and verifies the check in img. A photo that is not a check gives a Reading with
// IsCheck false and ErrNotCheck.
func (r *Reader) Read(ctx context.Context, img image.Image) (*Reading, error) {
	an := imagequal.AnalyzeWidth(imagequal.Gray(img), r.width)
	rd, err := r.readDoc(ctx, an.Document, "page")
	if err != nil {
		return nil, err
	}
	rd.an = an
	rd.Quality = an.Report
	if !rd.IsCheck {
		return rd, ErrNotCheck
	}
	if !micr.ValidRouting(rd.Routing.Text) && r.width < micrWidth {
		r.readMICRSharper(img, rd)
	}
	r.verify(ctx, rd)
	// Retry on enhanced images while the reading disagrees with itself: first the enhancement the
	// diagnosed defect calls for, then the other.
	flat, boost := imagequal.DefaultEnhance, imagequal.DefaultEnhance
	boost.Boost = 1
	tries := []imagequal.EnhanceOptions{flat, boost}
	if slices.Contains(an.Report.Issues, "glare") || slices.Contains(an.Report.Issues, "low_contrast") {
		tries[0], tries[1] = boost, flat
	}
	first := rd
	for _, o := range tries {
		if !needsRetry(rd) {
			break
		}
		rd2, err := r.readDoc(ctx, imagequal.Enhance(an.Document, o), "enhanced")
		if err != nil || !rd2.IsCheck {
			continue
		}
		rd2.an, rd2.Quality, rd2.Enhanced = an, an.Report, true
		r.verify(ctx, rd2)
		if score(rd2) > score(rd) {
			rd, rd2 = rd2, rd
		}
		fillMissing(rd, rd2)
		if rd != first && micr.ValidRouting(first.Routing.Text) {
			// The MICR reader is made for the plain image: keep its reading when it checks out.
			rd.MICR, rd.Routing, rd.Account = first.MICR, first.Routing, first.Account
		}
		r.verify(ctx, rd)
	}
	return rd, nil
}

// micrWidth is the width at which even a wide business check (8.5 in) keeps about 230 pixels per
// inch, which the MICR reader needs; the fields are read at the cheaper r.width.
const micrWidth = 2000

// readMICRSharper reads the MICR line again from the check rectified at micrWidth, and keeps the
// reading when its routing number checks out. Boxes are scaled back to the reading's image.
func (r *Reader) readMICRSharper(img image.Image, rd *Reading) {
	hi := imagequal.AnalyzeWidth(imagequal.Gray(img), micrWidth)
	if hi.Document == nil || !hasMICRInk(hi.Document) {
		return
	}
	sharp := &Reading{CheckNumber: rd.CheckNumber}
	var anchors int
	sharp.readMICR(hi.Document, &anchors)
	if !micr.ValidRouting(sharp.Routing.Text) {
		return
	}
	f := float64(rd.an.Document.Rect.Dx()) / float64(hi.Document.Rect.Dx())
	scale := func(b image.Rectangle) image.Rectangle {
		return image.Rect(int(float64(b.Min.X)*f), int(float64(b.Min.Y)*f), int(float64(b.Max.X)*f), int(float64(b.Max.Y)*f))
	}
	sharp.MICR.Box = scale(sharp.MICR.Box)
	sharp.Routing.Box, sharp.Account.Box = scale(sharp.Routing.Box), scale(sharp.Account.Box)
	rd.MICR, rd.Routing, rd.Account = sharp.MICR, sharp.Routing, sharp.Account
	if sharp.CheckNumber.How == "micr" {
		sharp.CheckNumber.Box = scale(sharp.CheckNumber.Box)
		rd.CheckNumber = sharp.CheckNumber
	}
}

// needsRetry reports whether the first reading disagrees with itself or misses a key field.
func needsRetry(rd *Reading) bool {
	for _, v := range rd.Verification {
		if v.Name == VerifyAmounts && v.Status != Pass {
			return true
		}
		if v.Name == VerifyCheckNumber && v.Status != Pass && rd.MICR != nil && rd.MICR.CheckNumber != "" && rd.CheckNumber.How != "micr" {
			return true
		}
	}
	return !rd.Date.Found() || rd.Amount == 0
}

// score ranks two readings of the same check: verifications passed, then fields found.
func score(rd *Reading) int {
	s := 0
	for _, v := range rd.Verification {
		if v.Status == Pass {
			s += 10
		}
	}
	for _, f := range []Field{rd.Courtesy, rd.Legal, rd.Payee, rd.Date, rd.CheckNumber, rd.Memo} {
		if f.Found() {
			s++
		}
	}
	return s
}

// fillMissing copies into a the fields that only b read.
func fillMissing(a, b *Reading) {
	for _, p := range []struct{ dst, src *Field }{{&a.Payee, &b.Payee}, {&a.Date, &b.Date},
		{&a.Memo, &b.Memo}, {&a.CheckNumber, &b.CheckNumber}} {
		if !p.dst.Found() && p.src.Found() {
			*p.dst = *p.src
		}
	}
	if !micr.ValidRouting(a.Routing.Text) && micr.ValidRouting(b.Routing.Text) {
		a.MICR, a.Routing, a.Account = b.MICR, b.Routing, b.Account
	}
	if a.Amount == 0 && b.Amount != 0 {
		a.Amount, a.Courtesy, a.Legal, a.CourtesyAmount, a.LegalAmount = b.Amount, b.Courtesy, b.Legal, b.CourtesyAmount, b.LegalAmount
	}
}

// readDoc reads the fields of a rectified check.
func (r *Reader) readDoc(ctx context.Context, doc *image.Gray, how string) (*Reading, error) {
	W, H := doc.Rect.Dx(), doc.Rect.Dy()
	dpi := int(math.Round(float64(W) / 6))
	// Tesseract skips text inside printed boxes (the courtesy amount); read without the rules.
	text := imagequal.RemoveRules(doc, max(40, W/20))
	// One uniform block (PSM 6) read the fields of generated checks better and faster than
	// automatic layout (PSM 3) or sparse text (PSM 11): see bench/checks.
	page, err := r.pool.Read(ctx, text, ocr.Options{PSM: ocr.PSMBlock, DPI: dpi})
	if err != nil {
		return nil, err
	}
	rd := &Reading{doc: doc, words: page.Words, Text: page.Text}
	l := layout{W: W, H: H, words: page.Words}
	crop := func(b image.Rectangle, o ocr.Options) ocr.Result {
		b = b.Intersect(doc.Rect)
		if b.Dx() < 8 || b.Dy() < 8 {
			return ocr.Result{}
		}
		o.DPI = dpi
		res, err := r.pool.Read(ctx, text.SubImage(b), o)
		if err != nil {
			return ocr.Result{}
		}
		return res
	}

	// cropScaled reads a crop enlarged k times: handwriting-like fonts read better larger.
	cropScaled := func(b image.Rectangle, o ocr.Options, k int) ocr.Result {
		b = b.Intersect(doc.Rect)
		if b.Dx() < 8 || b.Dy() < 8 {
			return ocr.Result{}
		}
		sub := imagequal.Resize(text.SubImage(b).(*image.Gray), b.Dx()*k, b.Dy()*k)
		o.DPI = dpi * k
		res, err := r.pool.Read(ctx, sub, o)
		if err != nil {
			return ocr.Result{}
		}
		return res
	}

	anchors := 0
	payA, hasPay := l.find(func(s string) bool { return s == "order" || s == "pay" })
	if hasPay {
		anchors++
		if of, ok := l.find(func(s string) bool { return s == "of" }); ok && l.sameBand(of, payA) {
			payA = of
		} else if or, ok := l.find(func(s string) bool { return s == "order" }); ok {
			payA = or
			if of, ok := l.rightOf(or, 0.1*float64(W)); ok && norm(of.Text) == "of" {
				payA = of
			}
		}
	}
	dateA, hasDate := l.find(func(s string) bool { return s == "date" })
	dollarA, hasDollar := l.find(func(s string) bool { return s == "dollars" })
	memoA, hasMemo := l.find(func(s string) bool { return s == "memo" })
	for _, ok := range []bool{hasDate, hasDollar, hasMemo} {
		if ok {
			anchors++
		}
	}

	// Courtesy amount: an amount-like word right of a "$" in the upper right, read again from its
	// own crop as one line of digits.
	amtWord, hasAmt := l.courtesyWord()
	if !hasAmt {
		region := image.Rect(W*55/100, H*15/100, W, H*62/100)
		if hasPay {
			h := payA.Box.Dy()
			region = image.Rect(W*55/100, payA.Box.Min.Y-3*h, W, payA.Box.Max.Y+3*h)
		}
		res := crop(region, ocr.Options{PSM: ocr.PSMSparse})
		amtWord, hasAmt = layout{W: W, H: H, words: res.Words}.courtesyWord()
	}
	var amtBox image.Rectangle
	var alts []Field // every reading of the courtesy amount, best first
	if hasAmt {
		anchors++
		h := amtWord.Box.Dy()
		amtBox = image.Rect(amtWord.Box.Min.X-h/3, amtWord.Box.Min.Y-h/2, amtWord.Box.Max.X+h/3, amtWord.Box.Max.Y+h/2)
		if res := crop(amtBox, ocr.Options{PSM: ocr.PSMSingleLine, Whitelist: "$0123456789.,*"}); res.Text != "" {
			if v, err := ParseCourtesy(res.Text); err == nil && v > 0 && strings.ContainsAny(res.Text, ".,") {
				alts = append(alts, Field{Text: fmt.Sprintf("%.2f", v), Confidence: res.Confidence, Box: amtWord.Box, How: "crop"})
			}
		}
		if v, err := ParseCourtesy(amtWord.Text); err == nil && v > 0 {
			alts = append(alts, Field{Text: fmt.Sprintf("%.2f", v), Confidence: amtWord.Confidence, Box: amtWord.Box, How: how})
		}
	} else {
		amtBox = image.Rect(W*72/100, H*25/100, W, H*50/100)
	}
	if len(alts) > 0 {
		rd.Courtesy = alts[0]
		rd.CourtesyAmount, _ = strconv.ParseFloat(alts[0].Text, 64)
	}

	// Legal amount: the line with the most number words.
	if line, conf, box := l.legalLine(dollarA, hasDollar); line != "" {
		v, cents, err := parseLegal(line)
		agrees := func(v float64) bool { return math.Abs(v-rd.CourtesyAmount) < 0.005 }
		if err != nil || !cents || (rd.CourtesyAmount > 0 && !agrees(v)) {
			// Read the line again on its own before trusting or rejecting it.
			if res := crop(box.Inset(-box.Dy()/3), ocr.Options{PSM: ocr.PSMSingleLine}); res.Text != "" {
				if v2, c2, err2 := parseLegal(res.Text); err2 == nil && (err != nil || (c2 && !cents) || agrees(v2)) {
					v, cents, err, line, conf = v2, c2, nil, res.Text, res.Confidence
				}
			}
		}
		if err == nil && !cents && rd.CourtesyAmount > 0 && math.Floor(rd.CourtesyAmount) == v {
			// The fraction was not legible; the figures give the cents of the same dollars.
			v, conf = rd.CourtesyAmount, conf*0.8
		}
		if err == nil {
			// Of several readings of the figures, keep the one the words confirm.
			for _, a := range alts {
				if c, _ := strconv.ParseFloat(a.Text, 64); math.Abs(c-v) < 0.005 {
					rd.Courtesy, rd.CourtesyAmount = a, c
					break
				}
			}
			anchors++
			rd.LegalAmount = v
			rd.Legal = Field{Text: cleanLegal(line), Confidence: conf, Box: box, How: how}
		}
	}
	rd.Amount = rd.LegalAmount
	if rd.Amount == 0 {
		rd.Amount = rd.CourtesyAmount
	}

	// Date: right of the DATE anchor, else any date in the upper half. A date that does not parse,
	// or falls outside the six months a check is good for, is read again from its own crop.
	var dateBox image.Rectangle
	if hasDate {
		dateBox = l.boxRight(dateA, W)
		if d, err := ParseDate(l.textRight(dateA, W)); err == nil {
			rd.Date = Field{Text: d.Format(time.DateOnly), Confidence: l.confRight(dateA, W), Box: dateBox, How: how}
		}
		if dateBox == dateA.Box {
			h := dateA.Box.Dy()
			dateBox = image.Rect(dateA.Box.Max.X, dateA.Box.Min.Y-h/2, min(W, dateA.Box.Max.X+W*30/100), dateA.Box.Max.Y+h/2)
		}
	}
	if !rd.Date.Found() {
		for _, line := range page.Lines() {
			if line[0].Box.Min.Y > H/2 {
				continue
			}
			// A line right of centre in the upper half holding a year is the date.
			hasYear := false
			var ws []ocr.Word
			for _, w := range line {
				if w.Box.Min.X > W*45/100 && (len(ws) > 0 || len(norm(w.Text)) > 0 && strings.ContainsAny(w.Text, "0123456789")) {
					ws = append(ws, w)
					hasYear = hasYear || yearRe.MatchString(w.Text)
				}
			}
			if dateBox.Empty() && hasYear {
				dateBox = wordsBox(ws, image.Rectangle{})
			}
			if d, err := ParseDate(joinWords(line)); err == nil {
				rd.Date = Field{Text: d.Format(time.DateOnly), Confidence: meanConf(line), Box: wordsBox(line, image.Rectangle{}), How: how}
				break
			}
		}
	}
	if !dateBox.Empty() && !r.plausibleDate(rd.Date.Text) {
		h := max(dateBox.Dy(), 20)
		b := image.Rect(dateBox.Min.X-h/2, dateBox.Min.Y-h/3, dateBox.Max.X+h/2, dateBox.Max.Y+h/3)
		tries := []struct {
			o ocr.Options
			k int
		}{{ocr.Options{PSM: ocr.PSMSingleLine}, 1}, {ocr.Options{PSM: ocr.PSMSingleLine}, 2},
			{ocr.Options{PSM: ocr.PSMSingleLine, Whitelist: "0123456789/-.,"}, 1}}
		for _, t := range tries {
			res := cropScaled(b, t.o, t.k)
			if d, err := ParseDate(res.Text); err == nil && (r.plausibleDate(d.Format(time.DateOnly)) || !rd.Date.Found()) {
				rd.Date = Field{Text: d.Format(time.DateOnly), Confidence: res.Confidence, Box: b, How: "crop"}
				if r.plausibleDate(rd.Date.Text) {
					break
				}
			}
		}
	}

	// Payee: on the amount's line (or the ORDER OF line), between the label and the amount, read
	// again from its own crop (rules removed, the payee's characters only) and cut to the name.
	if band, ok := payeeAnchor(amtWord, hasAmt, payA, hasPay); ok {
		left := W * 8 / 100
		right := min(amtBox.Min.X+amtBox.Dy(), W*7/10)
		var ws []ocr.Word
		line := l.band(band)
		for _, w := range line {
			n := norm(w.Text)
			if label[n] && w.Box.Max.X < W/3 {
				left = max(left, w.Box.Max.X)
				continue
			}
			if strings.HasPrefix(w.Text, "$") && w.Box.Min.X > W/2 {
				right = min(right, w.Box.Min.X)
			}
		}
		// A word begun left of the payee area is the label read as something else.
		for _, w := range line {
			if w.Box.Min.X < W*8/100 && w.Box.Max.X < W/4 {
				left = max(left, w.Box.Max.X)
			}
		}
		for _, w := range line {
			if w.Box.Min.X >= left && w.Box.Max.X <= right && !strings.HasPrefix(w.Text, "$") {
				ws = append(ws, w)
			}
		}
		var cw []ocr.Word
		if region := payeeRegion(ws, left, right, band); region.Dx() > 16 {
			const k = 2
			res := cropScaled(region, ocr.Options{PSM: ocr.PSMSingleLine, Whitelist: PayeeChars + " "}, k)
			for _, w := range res.Words {
				w.Box = image.Rect(w.Box.Min.X/k, w.Box.Min.Y/k, w.Box.Max.X/k, w.Box.Max.Y/k).Add(region.Intersect(doc.Rect).Min)
				cw = append(cw, w)
			}
		}
		rd.Payee = choosePayee(cw, trimNoise(ws), how)
	}

	// Memo: right of MEMO (or FOR) in the lower left, the label as small print often reads
	// ("wewo"), read again from its own crop like the payee.
	if !hasMemo {
		memoA, hasMemo = l.find(func(s string) bool { return s == "for" || memoLike(s) })
		hasMemo = hasMemo && memoA.Box.Min.Y > H/2 && memoA.Box.Max.X < W/3
	}
	if hasMemo {
		var ws []ocr.Word
		right := W * 60 / 100
		for _, w := range l.band(memoA) {
			if w.Box.Min.X > memoA.Box.Max.X && w.Box.Max.X < right {
				ws = append(ws, w)
			}
		}
		var cw []ocr.Word
		if region := payeeRegion(ws, memoA.Box.Max.X, right, memoA); region.Dx() > 16 && len(ws) > 0 {
			region.Min.Y = min(region.Min.Y, wordsBox(ws, region).Min.Y-memoA.Box.Dy()/2)
			region.Max.Y = max(region.Max.Y, wordsBox(ws, region).Max.Y+2)
			const k = 2
			res := cropScaled(region, ocr.Options{PSM: ocr.PSMSingleLine, Whitelist: PayeeChars + " "}, k)
			for _, w := range res.Words {
				w.Box = image.Rect(w.Box.Min.X/k, w.Box.Min.Y/k, w.Box.Max.X/k, w.Box.Max.Y/k).Add(region.Intersect(doc.Rect).Min)
				cw = append(cw, w)
			}
		}
		if f := chooseLine(cw, trimNoise(ws), how, false); f.Found() {
			rd.Memo = f
		}
	}

	// Check number: digits in the top right corner.
	corner := image.Rect(W*68/100, 0, W, H*22/100)
	for _, w := range l.in(corner) {
		if t := fixDigits(strings.Trim(w.Text, "#No.: ")); digitsRe.MatchString(t) {
			rd.CheckNumber = Field{Text: t, Confidence: w.Confidence, Box: w.Box, How: how}
			break
		}
	}
	if !rd.CheckNumber.Found() {
		res := crop(corner, ocr.Options{PSM: ocr.PSMSparse, Whitelist: ocr.Digits})
		for _, w := range res.Words {
			if digitsRe.MatchString(w.Text) {
				rd.CheckNumber = Field{Text: w.Text, Confidence: w.Confidence, Box: w.Box, How: "crop"}
				break
			}
		}
	}

	// MICR line along the bottom.
	if hasMICRInk(doc) {
		rd.readMICR(doc, &anchors)
	}

	rd.Signature, rd.SignatureBox = signature(doc, page.Words)
	rd.IsCheck = anchors >= 2 || (rd.CourtesyAmount > 0 && rd.LegalAmount > 0)
	return rd, nil
}

// readMICR reads the MICR line and fills routing, account and (when not printed) check number.
func (rd *Reading) readMICR(doc *image.Gray, anchors *int) {
	if line, err := micr.FindAndRead(doc); err == nil && line.Text != "" {
		rd.MICR = &MICRLine{Text: line.Text, Routing: line.Routing, Account: line.Account,
			CheckNumber: line.CheckNumber, Confidence: line.Confidence, Box: line.Box}
		if len(line.Routing) == 9 && strings.Trim(line.Routing, "0123456789") == "" {
			*anchors++
			rd.Routing = Field{Text: line.Routing, Confidence: line.Confidence, Box: line.Box, How: "micr"}
		}
		if line.Account != "" && strings.Trim(line.Account, "0123456789-D") == "" {
			rd.Account = Field{Text: line.Account, Confidence: line.Confidence, Box: line.Box, How: "micr"}
		}
		if !rd.CheckNumber.Found() && line.CheckNumber != "" {
			rd.CheckNumber = Field{Text: strings.TrimLeft(line.CheckNumber, "0"), Confidence: line.Confidence, Box: line.Box, How: "micr"}
		}
	}
}

// hasMICRInk reports whether the print band along the bottom holds a row of characters across
// its left half (where the routing number sits), so checks without a MICR line skip the reader.
// Signatures, which dip into the band on the right, do not count.
func hasMICRInk(doc *image.Gray) bool {
	W, H := doc.Rect.Dx(), doc.Rect.Dy()
	band := image.Rect(W*4/100, H*80/100, W*60/100, H*97/100)
	vals := make([]uint8, 0, band.Dx()*band.Dy())
	for y := band.Min.Y; y < band.Max.Y; y++ {
		vals = append(vals, doc.Pix[y*doc.Stride+band.Min.X:y*doc.Stride+band.Max.X]...)
	}
	if len(vals) == 0 {
		return false
	}
	slices.Sort(vals)
	paper, ink := int(vals[len(vals)*3/4]), int(vals[len(vals)/200])
	if paper-ink < 30 {
		return false // nothing printed darker than the paper
	}
	t := paper - (paper-ink)/2
	cols := 0
	for x := band.Min.X; x < band.Max.X; x++ {
		n := 0
		for y := band.Min.Y; y < band.Max.Y; y++ {
			if int(doc.Pix[y*doc.Stride+x]) < t {
				n++
			}
		}
		// A ruled line darkens one or two rows of every column; a character darkens several.
		if n >= 3 && n < band.Dy()*3/4 {
			cols++
		}
	}
	return float64(cols)/float64(band.Dx()) > 0.25
}

// plausibleDate reports whether an ISO date lies within the six months before today.
func (r *Reader) plausibleDate(iso string) bool {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return false
	}
	now := r.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return !d.After(today) && !d.Before(today.AddDate(0, -6, 0))
}

// label holds the printed words of a check's payee label.
var label = map[string]bool{"pay": true, "to": true, "the": true, "order": true, "of": true}

// payeeAnchor picks the word whose line holds the payee.
func payeeAnchor(amt ocr.Word, hasAmt bool, pay ocr.Word, hasPay bool) (ocr.Word, bool) {
	switch {
	case hasAmt:
		return amt, true
	case hasPay && norm(pay.Text) != "pay":
		return pay, true
	}
	return ocr.Word{}, false
}

// courtesyWord finds the courtesy amount among the words: a number with cents right of the
// middle in the upper part of the check, preferring one that follows a "$".
func (l layout) courtesyWord() (ocr.Word, bool) {
	var best ocr.Word
	bestScore := 0
	for i, w := range l.words {
		c := image.Pt((w.Box.Min.X+w.Box.Max.X)/2, (w.Box.Min.Y+w.Box.Max.Y)/2)
		if c.X < l.W/2 || c.Y > l.H*65/100 || strings.ContainsAny(w.Text, "/") {
			continue
		}
		t := strings.Trim(w.Text, "$*|[]()")
		if !courtesyRe.MatchString(fixDigits(t)) {
			continue
		}
		score := 1
		if strings.HasPrefix(w.Text, "$") || (i > 0 && strings.HasSuffix(l.words[i-1].Text, "$")) {
			score = 3
		} else if strings.Contains(t, ",") || len(t) <= 8 {
			score = 2
		}
		if score > bestScore {
			best, bestScore = w, score
		}
	}
	return best, bestScore > 0
}

// cleanLegal trims fill characters and the trailing DOLLARS from a legal amount line.
func cleanLegal(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if m := centsCutRe.FindStringIndex(s); m != nil {
		s = strings.TrimRight(s[:m[1]], " ,.;:-")
	}
	if i := strings.Index(strings.ToLower(s), "dollars"); i > 0 {
		s = s[:i]
	}
	return strings.Trim(s, "*-_=~— ")
}

// trimNoise drops leading and trailing one-character words (line ends and ruling read as text).
func trimNoise(ws []ocr.Word) []ocr.Word {
	for len(ws) > 0 && len([]rune(strings.Trim(ws[0].Text, "*-_—.|"))) <= 1 {
		ws = ws[1:]
	}
	for len(ws) > 0 && len([]rune(strings.Trim(ws[len(ws)-1].Text, "*-_—.|"))) <= 1 {
		ws = ws[:len(ws)-1]
	}
	return ws
}

func norm(s string) string {
	return strings.ToLower(strings.TrimFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '$')
	}))
}

func joinWords(ws []ocr.Word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

func meanConf(ws []ocr.Word) float64 {
	if len(ws) == 0 {
		return 0
	}
	s := 0.0
	for _, w := range ws {
		s += w.Confidence
	}
	return s / float64(len(ws))
}

// wordsBox returns the union of the words' boxes offset by nothing (they are in document
// coordinates already), or def when there are none.
func wordsBox(ws []ocr.Word, def image.Rectangle) image.Rectangle {
	if len(ws) == 0 {
		return def
	}
	b := ws[0].Box
	for _, w := range ws[1:] {
		b = b.Union(w.Box)
	}
	return b
}
