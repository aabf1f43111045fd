package report_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/report"
)

func crop(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 60, 30))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(5, 5, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func diagnosis(t testing.TB) report.Diagnosis {
	return report.Diagnosis{
		Business: "Brightline Appliances", Product: "washing machine", Model: "WM-3000", Code: "F05",
		Fault: "Door lock fault", Severity: "medium", Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Causes: []report.Cause{
			{Text: "The door lock has failed — it cannot report that it is closed.", Likelihood: 0.6, Parts: []string{"door lock WL-0505"}, Why: []string{"beeping heard"}},
			{Text: "Clothing <caught> in the seal.", Likelihood: 0.3},
		},
		Evidence: []report.Evidence{{What: "error code F05", Modality: "video", Stage: "image.display", Score: 0.93, At: 2500 * time.Millisecond, Crop: crop(t), CropURL: "/v1/blobs/abc"}},
		Checks:   []report.Check{{Question: "Is any clothing caught in the seal?", Answer: "no"}},
	}
}

func TestReportPDF(t *testing.T) {
	pdf, err := report.ReportPDF(diagnosis(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Fatalf("not a PDF with the crop: %q", pdf[:min(40, len(pdf))])
	}
	if _, err := report.ReportPDF(report.Diagnosis{}); !errors.Is(err, report.ErrEmpty) {
		t.Fatalf("empty diagnosis: %v", err)
	}
}

func TestReportHTMLEscapesAndShowsEvidence(t *testing.T) {
	page, err := report.ReportHTML(diagnosis(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{"F05", "WM-3000", "60%", "image.display", "at 2.5 s", `src="/v1/blobs/abc"`, "&lt;caught&gt;", "Checks done"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(s, "<caught>") {
		t.Error("cause text not escaped")
	}
}

func TestGuide(t *testing.T) {
	g := report.Guide{Business: "Brightline", Title: "Fix the door lock", Product: "washing machine", Code: "F05",
		Tools: []string{"Phillips screwdriver"}, Minutes: 25, Safety: []string{"Unplug the machine first."},
		Steps: []report.Step{{Text: "Close the door hard until it clicks.", ImageURL: "/v1/packs/appliances/assets/washer-door.svg"}, {Text: "Swap the lock.", Image: crop(t)}}}
	pdf, err := report.GuidePDF(g)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("guide PDF: %v", err)
	}
	page, err := report.GuideHTML(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"about 25 minutes", "Phillips screwdriver", "Unplug the machine first.", "washer-door.svg", "Swap the lock."} {
		if !strings.Contains(string(page), want) {
			t.Errorf("guide lacks %q", want)
		}
	}
	if _, err := report.GuidePDF(report.Guide{}); !errors.Is(err, report.ErrEmpty) {
		t.Fatalf("empty guide: %v", err)
	}
}

func BenchmarkReportPDF(b *testing.B) {
	d := diagnosis(b)
	for b.Loop() {
		if _, err := report.ReportPDF(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportHTML(b *testing.B) {
	d := diagnosis(b)
	for b.Loop() {
		if _, err := report.ReportHTML(d); err != nil {
			b.Fatal(err)
		}
	}
}
