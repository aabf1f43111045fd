package check

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/checkgen/specimen"
	"github.com/parleyhq/parley/perception/check/micr"
	"github.com/parleyhq/parley/perception/ocr"
)

// renderSpecimen draws c with the independent ImageMagick renderer, as a scan and as a phone
// photo, and returns both files' bytes.
func renderSpecimen(t *testing.T, c specimen.Check) map[string][]byte {
	t.Helper()
	if testing.Short() {
		t.Skip("renders specimens with ImageMagick and reads them with Tesseract; skipped under -short")
	}
	if _, err := os.Stat(specimen.Convert); err != nil {
		t.Fatalf("ImageMagick is needed to render specimens: %v", err)
	}
	if err := ocr.Available(); err != nil {
		t.Fatalf("tesseract is needed to read checks: %v", err)
	}
	dir := t.TempDir()
	scan, phone := filepath.Join(dir, "scan.png"), filepath.Join(dir, "phone.jpg")
	ctx := context.Background()
	if err := specimen.Render(ctx, c, scan); err != nil {
		t.Fatal(err)
	}
	if err := specimen.Phone(ctx, scan, phone, 0.5); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for name, p := range map[string]string{"scan": scan, "phone": phone} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestBlankBankSpecimen: a bank's blank specimen, nothing filled in but the MICR line with the
// sample routing number 123456789, is still a check whose MICR fields are read; the routing
// number is reported as printed, and flagged because it fails the ABA checksum (never changed
// into one that passes).
func TestBlankBankSpecimen(t *testing.T) {
	c := specimen.BlankSpecimen(specimen.Nominal)
	if micr.ValidRouting(c.Routing) {
		t.Fatal("the specimen routing number should fail the checksum")
	}
	r := testReader(t, Options{})
	for name, data := range renderSpecimen(t, c) {
		t.Run(name, func(t *testing.T) {
			rd := read(t, r, data)
			if rd.Routing.Text != c.Routing {
				t.Errorf("routing %q, want %q as printed (MICR %v)", rd.Routing.Text, c.Routing, rd.MICR)
			}
			if rd.Account.Text != c.Account {
				t.Errorf("account %q, want %q", rd.Account.Text, c.Account)
			}
			if v := verdict(rd, VerifyRouting); v.Status == Pass || v.Status == "" {
				t.Errorf("routing verdict %+v, want it flagged", v)
			}
			if rd.Payee.Found() || rd.Amount != 0 {
				t.Errorf("blank check read payee %q, amount %.2f", rd.Payee.Text, rd.Amount)
			}
		})
	}
}

// TestPersonal1975: a 1975-style personal check (cream safety paper, serif type, the account
// written with a dash) has its routing number found and the other fields read.
func TestPersonal1975(t *testing.T) {
	c := specimen.Personal1975(specimen.Nominal)
	r := testReader(t, Options{})
	for name, data := range renderSpecimen(t, c) {
		t.Run(name, func(t *testing.T) {
			rd := read(t, r, data)
			if rd.Routing.Text != c.Routing {
				t.Errorf("routing %q, want %q (MICR %v)", rd.Routing.Text, c.Routing, rd.MICR)
			}
			if v := verdict(rd, VerifyRouting); v.Status != Pass {
				t.Errorf("routing verdict %+v", v)
			}
			if rd.Amount != 42.50 {
				t.Errorf("amount %.2f, want 42.50", rd.Amount)
			}
			if rd.Date.Text != c.Date {
				t.Errorf("date %q, want %s", rd.Date.Text, c.Date)
			}
			if rd.Payee.Text != c.Payee {
				t.Errorf("payee %q, want %q", rd.Payee.Text, c.Payee)
			}
		})
	}
}
