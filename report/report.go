// Package report renders the documents of a diagnosis: the diagnostic report (the product, the
// ranked causes with the evidence behind each, the checks done) and the repair guide (steps with
// pictures, tools, time and safety warnings), each as PDF and as HTML.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// ErrEmpty is returned for a document with nothing to render (no causes, no steps).
var ErrEmpty = errors.New("report: nothing to render")

// Evidence is one observation behind the diagnosis.
type Evidence struct {
	// What is the fact: "error code F05", "door light blinking amber".
	What     string  `json:"what"`
	Modality string  `json:"modality"`
	Stage    string  `json:"stage"`
	Score    float64 `json:"confidence"`
	// At is the frame time within the video, when the evidence came from a frame.
	At time.Duration `json:"at,omitempty"`
	// Crop is a PNG or JPEG of the region that shows it; CropURL where it is stored.
	Crop    []byte `json:"-"`
	CropURL string `json:"crop_url,omitempty"`
}

// Cause is one ranked cause.
type Cause struct {
	Text       string   `json:"text"`
	Likelihood float64  `json:"likelihood"`
	Why        []string `json:"why,omitempty"`
	Parts      []string `json:"parts,omitempty"`
}

// Check is a diagnostic question asked and its answer.
type Check struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Diagnosis is the content of a diagnostic report.
type Diagnosis struct {
	Business string     `json:"business"`
	Product  string     `json:"product"`
	Model    string     `json:"model,omitempty"`
	Code     string     `json:"code"`
	Fault    string     `json:"fault"`
	Severity string     `json:"severity"`
	Causes   []Cause    `json:"causes"`
	Evidence []Evidence `json:"evidence"`
	Checks   []Check    `json:"checks,omitempty"`
	Created  time.Time  `json:"created"`
}

// Step is one instruction of a repair guide; Image is a PNG, JPEG or SVG picture to embed (SVG is
// rasterised for the PDF), ImageURL the picture's address for the HTML page.
type Step struct {
	Text     string `json:"text"`
	Image    []byte `json:"-"`
	ImageURL string `json:"image_url,omitempty"`
}

// Guide is the content of a repair guide.
type Guide struct {
	Business string   `json:"business"`
	Title    string   `json:"title"`
	Product  string   `json:"product"`
	Code     string   `json:"code"`
	Steps    []Step   `json:"steps"`
	Tools    []string `json:"tools"`
	Minutes  int      `json:"minutes"`
	Safety   []string `json:"safety"`
	// Simple marks the plain wording chosen for a confused or frustrated customer.
	Simple bool `json:"simple"`
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func frameTime(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// sniffImage returns fpdf's image type for PNG or JPEG data, "" for anything else.
func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		return "PNG"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		return "JPG"
	}
	return ""
}
