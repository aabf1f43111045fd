package specimen

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Convert is the ImageMagick command the specimens are rendered with.
var Convert = "/usr/bin/convert"

const fonts = "/usr/share/fonts/truetype/"

// Styles of specimen.
const (
	Personal = "personal" // a present-day personal check, fields filled
	Vintage  = "1975"     // a 1975-style personal check: cream safety paper, serif type, MICR line only machine print
	Blank    = "blank"    // a bank's blank specimen: labels and lines, nothing filled but the MICR line
)

// Check is what a specimen shows. Empty fields are left blank on the paper.
type Check struct {
	Style       string `json:"style"`
	Name        string `json:"name,omitempty"`
	Address     string `json:"address,omitempty"`
	Bank        string `json:"bank,omitempty"`
	CheckNumber string `json:"check_number,omitempty"`
	Date        string `json:"date,omitempty"` // ISO 8601; printed as MM/DD/YYYY
	Payee       string `json:"payee,omitempty"`
	Amount      string `json:"amount,omitempty"`       // 1250.75
	LegalAmount string `json:"legal_amount,omitempty"` // One thousand two hundred fifty and 75/100
	Memo        string `json:"memo,omitempty"`
	Routing     string `json:"routing,omitempty"`
	Account     string `json:"account,omitempty"`
	// MICR is the line as printed, in the reader's alphabet with spaces for blank positions; it
	// starts at position 43 (the transit field) unless it holds an auxiliary on-us field.
	MICR   string `json:"micr"`
	Weight Weight `json:"weight"`
}

// DPI is the resolution specimens are rendered at.
const DPI = 300

// size is the paper in inches: personal checks 6 x 2.75.
func (c Check) size() (float64, float64) { return 6, 2.75 }

// firstPosition is where the MICR line's first character goes: position 43 for the transit
// symbol, further left by the auxiliary on-us field when the line opens with one.
func (c Check) firstPosition() int {
	if i := strings.IndexRune(c.MICR, 'T'); i > 0 {
		return 43 + i
	}
	return 43
}

// courtesy formats an amount as printed in the box: 1,250.75.
func courtesy(a string) string {
	whole, cents, _ := strings.Cut(a, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + cents
}

// printedDate is an ISO date as written on a check.
func printedDate(iso string) string {
	p := strings.Split(iso, "-")
	if len(p) != 3 {
		return iso
	}
	return p[1] + "/" + p[2] + "/" + p[0]
}

// args builds the convert command line that draws the check into out.
func (c Check) args(out string) ([]string, error) {
	wi, hi := c.size()
	W, H := int(wi*DPI), int(hi*DPI)
	micr, err := MICRDraw(c.MICR, c.firstPosition(), wi, hi, DPI, c.Weight)
	if err != nil {
		return nil, err
	}
	dv := fonts + "dejavu/"
	lib := fonts + "liberation/"
	paper, tint, rule := "#f3f6f1", "#e2ebe0", "#3c5a44"
	label, face, hand := dv+"DejaVuSans.ttf", dv+"DejaVuSans-Bold.ttf", dv+"DejaVuSerif-Italic.ttf"
	if c.Style == Vintage {
		paper, tint, rule = "#f4ecd6", "#e9dcb8", "#6b5a3a"
		label, face, hand = lib+"LiberationSerif-Regular.ttf", lib+"LiberationSerif-Bold.ttf", lib+"LiberationSerif-Italic.ttf"
	}
	a := []string{"-size", fmt.Sprintf("%dx%d", W, H), "xc:" + paper}
	if c.Style == Vintage {
		// Safety paper: a fine wavy pattern over the face, stopping above the clear band.
		a = append(a, "(", "-size", fmt.Sprintf("%dx%d", W, H-190), "pattern:hs_diagcross", "-fill", tint, "-opaque", "black",
			"-fill", paper, "-opaque", "white", "-blur", "0x0.6", ")", "-geometry", "+0+0", "-composite")
	} else {
		a = append(a, "-fill", tint, "-draw", fmt.Sprintf("rectangle 0,0 %d,%d", W, H-200))
	}
	a = append(a, "-stroke", rule, "-strokewidth", "3", "-fill", "none", "-draw", fmt.Sprintf("rectangle 8,8 %d,%d", W-9, H-9), "-stroke", "none",
		"-fill", "#111111")
	text := func(font string, pt int, x, y int, s string) {
		if s != "" {
			a = append(a, "-font", font, "-pointsize", fmt.Sprint(pt), "-annotate", fmt.Sprintf("+%d+%d", x, y), s)
		}
	}
	line := func(x0, y, x1 int) {
		a = append(a, "-stroke", "#222222", "-strokewidth", "2", "-draw", fmt.Sprintf("line %d,%d %d,%d", x0, y, x1, y), "-stroke", "none")
	}
	text(face, 30, 50, 70, c.Name)
	text(label, 20, 50, 100, c.Address)
	text(face, 30, W-190, 70, c.CheckNumber)
	text(label, 24, 1030, 170, "DATE")
	line(1110, 178, 1420)
	text(label, 22, 50, 270, "PAY TO THE")
	text(label, 22, 50, 298, "ORDER OF")
	line(200, 305, 1300)
	a = append(a, "-stroke", "#222222", "-strokewidth", "2", "-fill", "none", "-draw", "rectangle 1350,250 1740,312", "-stroke", "none", "-fill", "#111111")
	text(face, 30, 1320, 300, "$")
	line(50, 415, 1480)
	text(label, 24, 1500, 412, "DOLLARS")
	text(face, 26, 50, 500, c.Bank)
	text(label, 22, 50, 620, "MEMO")
	line(140, 625, 820)
	line(1000, 625, 1740)
	if c.Style == Blank {
		text(face, 60, 700, 520, "SPECIMEN")
	}
	// What the drawer wrote, in a hand-like italic.
	text(hand, 30, 1130, 170, printedDate(c.Date))
	text(hand, 36, 230, 298, c.Payee)
	if c.Amount != "" {
		text(face, 34, 1370, 297, courtesy(c.Amount))
	}
	text(hand, 32, 60, 405, c.LegalAmount)
	text(hand, 28, 150, 615, c.Memo)
	if c.Payee != "" {
		a = append(a, "-stroke", "#101060", "-strokewidth", "3", "-fill", "none", "-draw", "bezier 1050,610 1150,540 1230,650 1380,575", "-stroke", "none")
	}
	// The MICR line, drawn on its own layer so that its weight can spread.
	layer := []string{"(", "-size", fmt.Sprintf("%dx%d", W, H), "xc:white", "-fill", "black", "-draw", micr}
	if c.Weight == Spread {
		layer = append(layer, "-blur", "0x2.2", "-level", "25%,75%")
	} else {
		layer = append(layer, "-blur", "0x0.5")
	}
	layer = append(layer, ")", "-compose", "multiply", "-composite")
	a = append(a, layer...)
	return append(a, out), nil
}

// Render draws the check into out (PNG or JPEG by its extension) with ImageMagick.
func Render(ctx context.Context, c Check, out string) error {
	a, err := c.args(out)
	if err != nil {
		return err
	}
	return run(ctx, a)
}

// Phone turns a scan into a handheld phone photo: downscaled by the phone to 1100 px, sharpened,
// seen at an angle (corner offsets from tilt, 0..1), shaded across by the hand, on a table, saved
// as JPEG quality 70.
func Phone(ctx context.Context, in, out string, tilt float64) error {
	w, h := 1100, 504
	d := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	t := 0.5 + tilt
	persp := fmt.Sprintf("0,0 %s,%s %d,0 %s,%s 0,%d %s,%s %d,%d %s,%s",
		d(30*t), d(25*t), w, d(float64(w)-38*t), d(6*t), h, d(9*t), d(float64(h)-21*t), w, h, d(float64(w)-14*t), d(float64(h)-37*t))
	return run(ctx, []string{in, "-resize", fmt.Sprintf("%dx", w), "-sharpen", "0x1.0", "-background", "#5b4b3b",
		"-virtual-pixel", "background", "-distort", "Perspective", persp,
		"(", "-size", fmt.Sprintf("%dx%d", h, w), "gradient:gray100-gray62", "-rotate", "90", ")",
		"-compose", "multiply", "-composite", "-quality", "70", out})
}

func run(ctx context.Context, args []string) error {
	cmd := exec.CommandContext(ctx, Convert, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("specimen: convert: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
