// Package checkgen renders synthetic US bank checks with known ground truth: personal and business
// layouts, printed and handwriting-like fonts, security backgrounds, a signature, and a true E-13B
// MICR line drawn from the micr package's glyph geometry. Degrade applies the photo and scan
// defects the check reader must survive. It exists to test and measure the reader.
package checkgen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"github.com/parleyhq/parley/perception/check/micr"
)

// Layouts.
const (
	Personal = "personal" // 6 x 2.75 in; serial after the account's on-us symbol
	Business = "business" // 8.25 x 3 in; serial in the auxiliary on-us field
)

// DPI is the rendering resolution.
const DPI = 300

// Check is the ground truth of a generated check.
type Check struct {
	Layout      string   `json:"layout"`
	Bank        string   `json:"bank"`
	Payer       string   `json:"payer"`
	Payee       string   `json:"payee"`
	Date        string   `json:"date"`      // ISO 2006-01-02
	DateText    string   `json:"date_text"` // as written on the check
	Amount      float64  `json:"amount"`
	AmountText  string   `json:"amount_text"` // courtesy amount as written, e.g. "1,250.75"
	LegalAmount string   `json:"legal_amount"`
	Memo        string   `json:"memo"`
	CheckNumber string   `json:"check_number"` // as printed top right, e.g. "1043"
	Routing     string   `json:"routing"`      // 9 digits, valid checksum
	Account     string   `json:"account"`
	MICR        string   `json:"micr"` // the MICR line as micr.Read prints it, symbols as T, U, A, D
	Signed      bool     `json:"signed"`
	Handwritten bool     `json:"handwritten"` // fields filled by hand (else typed)
	Fonts       []string `json:"fonts,omitempty"`
}

// Options select what Generate draws; zero values mean "choose at random".
type Options struct {
	Layout   string    // Personal, Business or "" for either
	Amount   float64   // dollars; 0 for random
	Date     time.Time // zero for random within the last 60 days before 2026-11-25
	Payee    string
	Memo     string
	Unsigned bool // force no signature (otherwise about 1 in 8 is unsigned)
}

// Generator renders checks from a seeded random source; it is not safe for concurrent use.
type Generator struct {
	rng *rand.Rand
}

// New returns a generator whose output is fully determined by seed.
func New(seed int64) *Generator { return &Generator{rng: rand.New(rand.NewSource(seed))} }

// Rand exposes the generator's random source, for Degrade.
func (g *Generator) Rand() *rand.Rand { return g.rng }

var (
	banks     = []string{"First Springfield Bank", "Harbor National Bank", "Union Trust Company", "Cedar Valley Credit Union", "Pacific Federal Savings", "Lakeside Community Bank", "Northern Mutual Bank", "Granite State Bank"}
	first     = []string{"Alex", "Maria", "James", "Priya", "Daniel", "Sofia", "Chen", "Olivia", "Ahmed", "Grace", "Lucas", "Emma", "Noah", "Fatima", "Ethan", "Hannah"}
	last      = []string{"Morgan", "Garcia", "Smith", "Patel", "Nguyen", "Johnson", "Okafor", "Rossi", "Kim", "Brown", "Silva", "Miller", "Haddad", "Walsh"}
	companies = []string{"ACME Corporation", "Blue River Plumbing", "Northwind Traders", "Sunrise Dental Group", "Metro Electric Co.", "Greenleaf Landscaping", "Summit Roofing LLC", "City Water Utility", "Brightside Daycare", "Oak Street Auto Repair"}
	streets   = []string{"Harbor Lane", "Maple Avenue", "Elm Street", "Sunset Blvd", "Cedar Court", "Lakeview Drive", "Pine Road", "Main Street"}
	cities    = []string{"Springfield, IL 62704", "Portland, OR 97205", "Austin, TX 78701", "Columbus, OH 43215", "Madison, WI 53703", "Raleigh, NC 27601"}
	memos     = []string{"invoice 2291", "rent November", "deposit", "tuition", "repair work", "consulting", "refund", "birthday gift", "services rendered", ""}
	districts = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
)

func (g *Generator) pick(s []string) string { return s[g.rng.Intn(len(s))] }

func (g *Generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.Intn(10))
	}
	return string(b)
}

// Routing returns a random routing number with a valid district prefix and check digit.
func (g *Generator) Routing() string {
	p := fmt.Sprintf("%02d", districts[g.rng.Intn(len(districts))]) + g.digits(6)
	return p + string(rune('0'+micr.RoutingCheckDigit(p)))
}

func (g *Generator) amount() float64 {
	switch g.rng.Intn(4) {
	case 0:
		return float64(g.rng.Intn(100_00)+1) / 100
	case 1:
		return float64(g.rng.Intn(2000)+1) * 25 / 100 * 4 // round-ish sums
	default:
		return float64(g.rng.Intn(9_999_99)+100) / 100
	}
}

// FormatAmount writes dollars with thousands separators and cents: 1250.75 -> "1,250.75".
func FormatAmount(a float64) string {
	c := int64(math.Round(a * 100))
	d := fmt.Sprint(c / 100)
	var b strings.Builder
	for i, ch := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return fmt.Sprintf("%s.%02d", b.String(), c%100)
}

// MICRLine returns the MICR text for a layout as it is printed left to right, and the position
// (numbered from the right edge, 1-based) of its last character.
func MICRLine(layout, routing, account, serial string) (string, int) {
	transit := "T" + routing + "T"
	if layout == Business {
		// Aux on-us, EPC blank, transit at 43..33, on-us ending at 14, blank amount field.
		onus := account + "U"
		aux := "U" + serial + "U"
		gap1 := 45 - 43 - 1 // blank positions between aux field and transit
		gap2 := 32 - 14 - len(onus) + 1
		return aux + strings.Repeat(" ", gap1) + transit + strings.Repeat(" ", max(gap2, 1)) + onus, 14
	}
	onus := account + "U" + serial
	gap := 32 - 14 - len(onus) + 1
	return transit + strings.Repeat(" ", max(gap, 1)) + onus, 14
}

// Generate renders one check and returns its ground truth and image (RGBA, DPI dots per inch).
func (g *Generator) Generate(opts Options) (Check, image.Image) {
	rng := g.rng
	c := Check{Layout: opts.Layout}
	if c.Layout == "" {
		c.Layout = Personal
		if rng.Intn(3) == 0 {
			c.Layout = Business
		}
	}
	wIn, hIn := 6.0, 2.75
	if c.Layout == Business {
		wIn, hIn = 8.25, 3.0
	}
	W, H := int(wIn*DPI), int(hIn*DPI)
	in := func(v float64) int { return int(v * DPI) }

	c.Bank = g.pick(banks)
	if c.Layout == Business {
		c.Payer = g.pick(companies)
	} else {
		c.Payer = g.pick(first) + " " + g.pick(last)
	}
	c.Payee = opts.Payee
	if c.Payee == "" {
		if rng.Intn(2) == 0 {
			c.Payee = g.pick(companies)
		} else {
			c.Payee = g.pick(first) + " " + g.pick(last)
		}
	}
	c.Amount = opts.Amount
	if c.Amount <= 0 {
		c.Amount = g.amount()
	}
	c.Amount = math.Round(c.Amount*100) / 100
	c.AmountText = FormatAmount(c.Amount)
	c.LegalAmount = AmountWords(c.Amount)
	d := opts.Date
	if d.IsZero() {
		d = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -rng.Intn(60))
	}
	c.Date = d.Format("2006-01-02")
	switch rng.Intn(3) {
	case 0:
		c.DateText = d.Format("01/02/2006")
	case 1:
		c.DateText = d.Format("Jan 2, 2006")
	default:
		c.DateText = d.Format("1/2/2006")
	}
	c.Memo = opts.Memo
	if c.Memo == "" {
		c.Memo = g.pick(memos)
	}
	c.Routing = g.Routing()
	c.Account = g.digits(8 + rng.Intn(5))
	num := 100 + rng.Intn(9900)
	c.CheckNumber = fmt.Sprint(num)
	serial := fmt.Sprintf("%04d", num)
	if c.Layout == Business {
		serial = fmt.Sprintf("%06d", num)
	}
	printed, lastPos := MICRLine(c.Layout, c.Routing, c.Account, serial)
	c.MICR = strings.Join(strings.Fields(printed), " ")
	c.Signed = !opts.Unsigned && rng.Intn(8) != 0
	c.Handwritten = c.Layout == Personal || rng.Intn(3) == 0

	img := image.NewRGBA(image.Rect(0, 0, W, H))
	g.background(img)

	ink := color.RGBA{20, 22, 30, 255}
	pen := []color.RGBA{{15, 25, 90, 255}, {10, 10, 10, 255}, {25, 40, 120, 255}}[rng.Intn(3)]
	pickP, pickB := rng.Intn(8), rng.Intn(8)
	fill := roleTyped
	fillInk := ink
	if c.Handwritten {
		fill, fillInk = roleHand, pen
	}
	pickF := rng.Intn(8)
	use := func(role fontRole, pick int, px float64) font.Face {
		f, name := face(role, pick, px)
		c.Fonts = appendUnique(c.Fonts, name)
		return f
	}
	// Header: payer, bank, check number.
	text(img, use(roleBold, pickB, 0.14*DPI), c.Payer, in(0.3), in(0.42), ink)
	small := use(rolePrinted, pickP, 0.085*DPI)
	text(img, small, fmt.Sprintf("%d %s", 10+rng.Intn(980), g.pick(streets)), in(0.3), in(0.58), ink)
	text(img, small, g.pick(cities), in(0.3), in(0.71), ink)
	text(img, use(roleBold, pickB+1, 0.11*DPI), strings.ToUpper(c.Bank), int(wIn*DPI*0.42), in(0.42), ink)
	text(img, use(rolePrinted, pickP, 0.13*DPI), c.CheckNumber, W-in(0.9), in(0.42), ink)
	// Date.
	label := use(rolePrinted, pickP, 0.075*DPI)
	dx := int(wIn * DPI * 0.62)
	text(img, label, "DATE", dx, in(0.9), ink)
	line(img, dx+in(0.45), in(0.92), W-in(0.35), in(0.92), 2, ink)
	text(img, use(fill, pickF, 0.15*DPI), c.DateText, dx+in(0.55), in(0.87), fillInk)
	// Payee and courtesy amount.
	py := in(1.35)
	text(img, label, "PAY TO THE", in(0.3), py-in(0.13), ink)
	text(img, label, "ORDER OF", in(0.3), py, ink)
	boxX := W - in(1.55)
	line(img, in(1.05), py+in(0.02), boxX-in(0.3), py+in(0.02), 2, ink)
	text(img, use(fill, pickF, 0.17*DPI), c.Payee, in(1.2), py-in(0.03), fillInk)
	text(img, use(roleBold, pickB, 0.13*DPI), "$", boxX-in(0.2), py, ink)
	rect(img, boxX, py-in(0.25), W-in(0.3), py+in(0.07), 2, ink)
	text(img, use(fill, pickF, 0.16*DPI), c.AmountText, boxX+in(0.1), py-in(0.03), fillInk)
	// Legal amount.
	ly := in(1.75)
	legal := c.LegalAmount
	lf := use(fill, pickF, 0.14*DPI)
	for lw := font.MeasureString(lf, legal).Round(); lw > W-in(1.6); lw = font.MeasureString(lf, legal).Round() {
		lf = use(fill, pickF, float64(lf.Metrics().Height.Round())*0.85)
	}
	text(img, lf, legal, in(0.35), ly-in(0.03), fillInk)
	line(img, in(0.3), ly+in(0.02), W-in(1.15), ly+in(0.02), 2, ink)
	text(img, label, "DOLLARS", W-in(1.05), ly, ink)
	// Memo and signature.
	my := H - in(0.78)
	text(img, label, "MEMO", in(0.3), my, ink)
	line(img, in(0.75), my+in(0.02), int(wIn*DPI*0.48), my+in(0.02), 2, ink)
	if c.Memo != "" {
		text(img, use(fill, pickF, 0.13*DPI), c.Memo, in(0.85), my-in(0.03), fillInk)
	}
	sx0 := int(wIn * DPI * 0.56)
	line(img, sx0, my+in(0.02), W-in(0.35), my+in(0.02), 2, ink)
	if c.Signed {
		g.signature(img, sx0+in(0.3), my-in(0.04), (W-in(0.5)-sx0-in(0.3))*3/4, pen)
	}
	// MICR line: glyph tops so the 0.117-in characters sit mid-way in the print band 3/16..7/16 in
	// above the bottom edge; position n spans 5/16+(n-1)/8 .. 5/16+n/8 in from the right edge.
	scale := micr.UnitInch * DPI
	n := len([]rune(printed))
	x0 := float64(W) - (5.0/16+float64(lastPos-1+n)/8)*DPI
	y0 := float64(H) - (7.0/16)*DPI + (0.25-micr.HeightInch)/2*DPI
	micr.RenderLine(img, printed, x0, y0, scale, color.RGBA{10, 10, 12, 255})
	return c, img
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// text draws s with its baseline at y.
func text(img draw.Image, f font.Face, s string, x, y int, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func line(img *image.RGBA, x0, y0, x1, y1, w int, c color.RGBA) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		for j := 0; j < w; j++ {
			if abs(x1-x0) >= abs(y1-y0) {
				img.SetRGBA(x, y+j, c)
			} else {
				img.SetRGBA(x+j, y, c)
			}
		}
	}
}

func rect(img *image.RGBA, x0, y0, x1, y1, w int, c color.RGBA) {
	line(img, x0, y0, x1, y0, w, c)
	line(img, x0, y1, x1, y1, w, c)
	line(img, x0, y0, x0, y1, w, c)
	line(img, x1, y0, x1, y1+w, w, c)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// background fills the check with a pale tint and a security pattern: guilloche rosette curves,
// fine diagonal lines or a wave pattern, all light enough to stay out of the reader's way.
func (g *Generator) background(img *image.RGBA) {
	rng := g.rng
	b := img.Bounds()
	tints := []color.RGBA{{238, 244, 238, 255}, {236, 242, 250, 255}, {250, 246, 236, 255}, {246, 240, 246, 255}, {250, 250, 250, 255}}
	base := tints[rng.Intn(len(tints))]
	pr, pg, pb := float64(base.R)-40, float64(base.G)-30, float64(base.B)-25
	kind := rng.Intn(3)
	f1 := 0.02 + rng.Float64()*0.03
	f2 := 0.005 + rng.Float64()*0.01
	ph := rng.Float64() * 6
	cx, cy := float64(b.Dx())*(0.3+0.4*rng.Float64()), float64(b.Dy())*(0.3+0.4*rng.Float64())
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			fx, fy := float64(x), float64(y)
			var v float64
			switch kind {
			case 0: // guilloche: interfering rosette rings
				dx, dy := fx-cx, fy-cy
				rr := math.Hypot(dx, dy)
				a := math.Atan2(dy, dx)
				v = math.Sin(rr*f1*2+8*math.Sin(a*12+ph)) * math.Sin(rr*f1+6*math.Cos(a*7))
			case 1: // fine diagonal lines with a slow modulation
				v = math.Sin((fx+fy)*0.35) * (0.5 + 0.5*math.Sin(fx*f2+ph))
			default: // waves
				v = math.Sin(fy*f1*3 + 12*math.Sin(fx*f2+ph))
			}
			t := 0.0
			if v > 0.85 {
				t = (v - 0.85) / 0.15 * 0.35
			}
			img.Pix[y*img.Stride+4*x+0] = uint8(float64(base.R)*(1-t) + pr*t)
			img.Pix[y*img.Stride+4*x+1] = uint8(float64(base.G)*(1-t) + pg*t)
			img.Pix[y*img.Stride+4*x+2] = uint8(float64(base.B)*(1-t) + pb*t)
			img.Pix[y*img.Stride+4*x+3] = 255
		}
	}
	// Border.
	rect(img, 8, 8, b.Dx()-10, b.Dy()-10, 3, color.RGBA{uint8(pr), uint8(pg), uint8(pb), 255})
}

// signature draws a handwriting-like stroke: a loopy curve from summed sines, with varying pen
// pressure, inside a box w wide whose baseline is at y.
func (g *Generator) signature(img *image.RGBA, x, y, w int, c color.RGBA) {
	rng := g.rng
	h := float64(w) / 9
	loops := 4 + rng.Intn(5)
	a1, a2 := 0.6+rng.Float64()*0.4, 0.2+rng.Float64()*0.3
	ph1, ph2 := rng.Float64()*6, rng.Float64()*6
	steps := w * 6
	for i := 0; i <= steps; i++ {
		t := float64(i) / float64(steps)
		ang := t * float64(loops) * 2 * math.Pi
		px := float64(x) + t*float64(w) + 0.06*float64(w)*math.Cos(ang+ph1)
		py := float64(y) - h*0.5 - h*0.5*(a1*math.Sin(ang+ph1)+a2*math.Sin(2.3*ang+ph2))*(0.6+0.4*math.Sin(t*math.Pi))
		r := 1.2 + 1.3*math.Abs(math.Sin(ang*0.5+ph2))
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				if float64(dx*dx+dy*dy) <= r*r {
					img.SetRGBA(int(px)+dx, int(py)+dy, c)
				}
			}
		}
	}
}
