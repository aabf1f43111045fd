package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// newPDF starts an A4 document in the core Helvetica font; text goes through tr, which maps UTF-8
// to the font's code page.
func newPDF(title string) (*fpdf.Fpdf, func(string) string) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(title, true)
	pdf.SetCreator("Parley", true)
	pdf.SetMargins(18, 16, 18)
	pdf.SetAutoPageBreak(true, 16)
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	return pdf, tr
}

func heading(pdf *fpdf.Fpdf, tr func(string) string, size float64, s string) {
	pdf.SetFont("Helvetica", "B", size)
	pdf.MultiCell(0, size*0.5, tr(s), "", "L", false)
	pdf.Ln(2)
}

func para(pdf *fpdf.Fpdf, tr func(string) string, s string) {
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 5.5, tr(s), "", "L", false)
}

func picture(pdf *fpdf.Fpdf, name string, data []byte, w float64) {
	info, opt, ok := register(pdf, name, data)
	if !ok {
		return
	}
	h := w * info.Height() / info.Width()
	if _, y := pdf.GetXY(); y+h > 280 {
		pdf.AddPage()
	}
	x, y := pdf.GetXY()
	pdf.ImageOptions(name, x, y, w, h, false, opt, 0, "")
	pdf.SetY(y + h + 2)
}

// register adds a PNG, JPEG or SVG picture (rasterised to PNG) to the document under name.
func register(pdf *fpdf.Fpdf, name string, data []byte) (*fpdf.ImageInfoType, fpdf.ImageOptions, bool) {
	typ := sniffImage(data)
	if typ == "" && isSVG(data) {
		if b, err := PNGOf(data, 640); err == nil {
			data, typ = b, "PNG"
		}
	}
	if typ == "" {
		return nil, fpdf.ImageOptions{}, false
	}
	opt := fpdf.ImageOptions{ImageType: typ, ReadDpi: false}
	info := pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(data))
	if info == nil || pdf.Err() || info.Width() <= 0 {
		pdf.ClearError()
		return nil, opt, false
	}
	return info, opt, true
}

// step writes a guide step's text with its picture beside it on the right.
func step(pdf *fpdf.Fpdf, tr func(string) string, name, text string, data []byte) {
	const picW = 62.0
	info, opt, ok := register(pdf, name, data)
	if !ok {
		para(pdf, tr, text)
		return
	}
	h := picW * info.Height() / info.Width()
	if _, y := pdf.GetXY(); y+h > 280 {
		pdf.AddPage()
	}
	left, _, right, _ := pdf.GetMargins()
	pw, _ := pdf.GetPageSize()
	x, y := pdf.GetXY()
	pdf.ImageOptions(name, pw-right-picW, y, picW, h, false, opt, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.SetLeftMargin(left)
	pdf.MultiCell(pw-left-right-picW-6, 5.5, tr(text), "", "L", false)
	_, ty := pdf.GetXY()
	pdf.SetXY(x, max(ty, y+h+2))
}

// ReportPDF renders a diagnostic report as a PDF.
func ReportPDF(d Diagnosis) ([]byte, error) {
	if len(d.Causes) == 0 {
		return nil, ErrEmpty
	}
	pdf, tr := newPDF("Diagnostic report " + d.Code)
	heading(pdf, tr, 20, "Diagnostic report")
	para(pdf, tr, d.Business+" - "+d.Created.Format("2006-01-02 15:04 MST"))
	pdf.Ln(3)
	rows := [][2]string{{"Product", d.Product}, {"Model", d.Model}, {"Error code", d.Code}, {"Fault", d.Fault}, {"Severity", d.Severity}}
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(35, 6.5, tr(r[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.CellFormat(0, 6.5, tr(r[1]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	heading(pdf, tr, 14, "Likely causes")
	for i, c := range d.Causes {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.MultiCell(0, 6, tr(fmt.Sprintf("%d. %s (%s)", i+1, c.Text, pct(c.Likelihood))), "", "L", false)
		x, y := pdf.GetXY()
		pdf.SetFillColor(227, 232, 239)
		pdf.Rect(x+5, y, 60, 2.5, "F")
		pdf.SetFillColor(58, 110, 165)
		pdf.Rect(x+5, y, 60*c.Likelihood, 2.5, "F")
		pdf.SetY(y + 4)
		for _, w := range c.Why {
			para(pdf, tr, "    - "+w)
		}
		if len(c.Parts) > 0 {
			para(pdf, tr, "    Parts: "+strings.Join(c.Parts, ", "))
		}
		pdf.Ln(1)
	}
	pdf.Ln(3)
	heading(pdf, tr, 14, "Evidence")
	for i, e := range d.Evidence {
		line := fmt.Sprintf("%s - %s, %s, confidence %s", e.What, e.Modality, e.Stage, pct(e.Score))
		if t := frameTime(e.At); t != "" {
			line += " at " + t
		}
		para(pdf, tr, line)
		if len(e.Crop) > 0 {
			picture(pdf, fmt.Sprintf("crop%d", i), e.Crop, 50)
		}
	}
	if len(d.Checks) > 0 {
		pdf.Ln(3)
		heading(pdf, tr, 14, "Checks done")
		for _, c := range d.Checks {
			para(pdf, tr, c.Question+" - "+c.Answer)
		}
	}
	return output(pdf)
}

// GuidePDF renders a repair guide as a PDF, each step's picture (PNG, JPEG, or SVG rasterised to
// PNG) beside its text.
func GuidePDF(g Guide) ([]byte, error) {
	if len(g.Steps) == 0 {
		return nil, ErrEmpty
	}
	pdf, tr := newPDF(g.Title)
	heading(pdf, tr, 20, g.Title)
	meta := g.Product
	if g.Code != "" {
		meta += ", code " + g.Code
	}
	if g.Minutes > 0 {
		meta += fmt.Sprintf(" - about %d minutes", g.Minutes)
	}
	para(pdf, tr, meta)
	if len(g.Tools) > 0 {
		para(pdf, tr, "Tools: "+strings.Join(g.Tools, ", "))
	}
	pdf.Ln(3)
	if len(g.Safety) > 0 {
		pdf.SetFillColor(255, 243, 214)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(0, 7, tr("Safety"), "", 1, "L", true, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		for _, s := range g.Safety {
			pdf.MultiCell(0, 6, tr("! "+s), "", "L", true)
		}
		pdf.Ln(4)
	}
	for i, s := range g.Steps {
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(0, 7, tr(fmt.Sprintf("Step %d", i+1)), "", 1, "L", false, 0, "")
		step(pdf, tr, fmt.Sprintf("step%d", i), s.Text, s.Image)
		pdf.Ln(3)
	}
	return output(pdf)
}

func output(pdf *fpdf.Fpdf) ([]byte, error) {
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}
