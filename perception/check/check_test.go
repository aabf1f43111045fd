package check

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/imagequal"
	"github.com/parleyhq/parley/perception/ocr"
)

// spec is what a rendered test check shows.
type spec struct {
	figures, words, date, number string
	unsigned                     bool
}

var acme = spec{figures: "$ 1,250.75", words: "One thousand two hundred fifty and 75/100", date: "11/20/2026", number: "1043"}

// renderCheck draws a plain check with ImageMagick (no MICR line); photo also rotates it 3
// degrees onto a brown table, blurs it and saves it as JPEG quality 60.
func renderCheck(t testing.TB, s spec, photo bool) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("reads rendered checks with Tesseract; skipped under -short")
	}
	if err := ocr.Available(); err != nil {
		t.Skipf("tesseract not installed: %v", err)
	}
	if _, err := os.Stat("/usr/bin/convert"); err != nil {
		t.Skip("needs ImageMagick's /usr/bin/convert to render test checks")
	}
	dir := t.TempDir()
	F := "/usr/share/fonts/truetype/dejavu/"
	sig := "bezier 1150,640 1250,560 1330,700 1450,600"
	if s.unsigned {
		sig = "point 1,1"
	}
	args := []string{"-size", "1800x800", "xc:#eef4ee", "-fill", "#dde8dd", "-draw", "rectangle 0,0 1800,800",
		"-stroke", "#335533", "-strokewidth", "3", "-fill", "none", "-draw", "rectangle 10,10 1790,790", "-stroke", "none",
		"-fill", "black", "-font", F + "DejaVuSans-Bold.ttf", "-pointsize", "34", "-annotate", "+60+80", "ALEX MORGAN",
		"-font", F + "DejaVuSans.ttf", "-pointsize", "24", "-annotate", "+60+115", "42 Harbor Lane, Springfield",
		"-pointsize", "32", "-annotate", "+1550+80", s.number,
		"-pointsize", "30", "-annotate", "+1150+190", "DATE", "-annotate", "+1250+190", s.date,
		"-annotate", "+60+300", "PAY TO THE", "-annotate", "+60+335", "ORDER OF",
		"-font", F + "DejaVuSerif-Italic.ttf", "-pointsize", "38", "-annotate", "+260+330", "ACME Corporation",
		"-stroke", "black", "-strokewidth", "2", "-draw", "line 250,345 1300,345", "-fill", "none", "-draw", "rectangle 1360,280 1740,350", "-stroke", "none", "-fill", "black",
		"-font", F + "DejaVuSans-Bold.ttf", "-pointsize", "40", "-annotate", "+1380+332", s.figures,
		"-font", F + "DejaVuSerif-Italic.ttf", "-pointsize", "36", "-annotate", "+60+450", s.words,
		"-font", F + "DejaVuSans.ttf", "-pointsize", "30", "-annotate", "+1450+450", "DOLLARS",
		"-stroke", "black", "-strokewidth", "2", "-draw", "line 50,465 1420,465", "-stroke", "none",
		"-pointsize", "26", "-annotate", "+60+560", "FIRST SPRINGFIELD BANK", "-annotate", "+60+650", "MEMO  invoice 2291",
		"-stroke", "black", "-strokewidth", "3", "-fill", "none", "-draw", sig, "-draw", "line 1100,660 1700,660", "-stroke", "none",
		filepath.Join(dir, "sharp.png")}
	run := func(args ...string) {
		if b, err := exec.Command("/usr/bin/convert", args...).CombinedOutput(); err != nil {
			t.Skipf("convert failed: %v %s", err, b)
		}
	}
	run(args...)
	out := filepath.Join(dir, "sharp.png")
	if photo {
		out = filepath.Join(dir, "photo.jpg")
		run("-size", "2600x1500", "xc:#6b5a48", "(", filepath.Join(dir, "sharp.png"), "-background", "#6b5a48", "-rotate", "3", ")",
			"-gravity", "center", "-composite", "-blur", "0x1.5", "-quality", "60", out)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	poolOnce sync.Once
	pool     *ocr.Pool
)

func testReader(t testing.TB, o Options) *Reader {
	poolOnce.Do(func() { pool, _ = ocr.NewPool(2) })
	if pool == nil {
		t.Skip("tesseract not installed")
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	}
	return NewReader(pool, o)
}

func read(t *testing.T, r *Reader, data []byte) *Reading {
	t.Helper()
	img, _, err := imagequal.Decode(data, media.DefaultLimits().MaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := r.Read(context.Background(), img)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return rd
}

func verdict(rd *Reading, name string) Verdict {
	for _, v := range rd.Verification {
		if v.Name == name {
			return v
		}
	}
	return Verdict{}
}

func TestReadCheck(t *testing.T) {
	for _, photo := range []bool{false, true} {
		name := map[bool]string{false: "sharp", true: "photo"}[photo]
		t.Run(name, func(t *testing.T) {
			rd := read(t, testReader(t, Options{}), renderCheck(t, acme, photo))
			if !rd.IsCheck || math.Abs(rd.Amount-1250.75) > 0.001 || math.Abs(rd.CourtesyAmount-1250.75) > 0.001 {
				t.Fatalf("amount %v courtesy %v (check %v)", rd.Amount, rd.CourtesyAmount, rd.IsCheck)
			}
			want := map[string]string{"legal": acme.words, "date": "2026-11-20", "number": "1043",
				"payee": "ACME Corporation", "memo": "invoice 2291"}
			got := map[string]string{"legal": rd.Legal.Text, "date": rd.Date.Text, "number": rd.CheckNumber.Text,
				"payee": rd.Payee.Text, "memo": rd.Memo.Text}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
			for _, name := range []string{VerifyAmounts, VerifyDate, VerifySignature} {
				if v := verdict(rd, name); v.Status != Pass {
					t.Errorf("%s: %s (%s)", name, v.Status, v.Detail)
				}
			}
			if v := verdict(rd, VerifyRouting); v.Status != Uncertain || v.Evidence == nil {
				t.Errorf("no MICR line: routing verdict %s, evidence %d bytes", v.Status, len(v.Evidence))
			}
			if photo && (math.Abs(rd.Quality.Angle-3) > 1 || !rd.Quality.Found) {
				t.Errorf("quality %+v", rd.Quality)
			}
		})
	}
}

func TestVerification(t *testing.T) {
	r := testReader(t, Options{})
	t.Run("words prevail", func(t *testing.T) {
		s := acme
		s.words = "One thousand two hundred five and 75/100"
		rd := read(t, r, renderCheck(t, s, false))
		if math.Abs(rd.Amount-1205.75) > 0.001 || math.Abs(rd.CourtesyAmount-1250.75) > 0.001 {
			t.Fatalf("amount %v courtesy %v, want words 1205.75 to prevail over 1250.75", rd.Amount, rd.CourtesyAmount)
		}
		if v := verdict(rd, VerifyAmounts); v.Status != Uncertain || v.Evidence == nil {
			t.Fatalf("amounts verdict %+v", v)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		s := acme
		s.unsigned = true
		rd := read(t, r, renderCheck(t, s, false))
		if rd.Signature || verdict(rd, VerifySignature).Status != Uncertain {
			t.Fatalf("signature %v, verdict %+v", rd.Signature, verdict(rd, VerifySignature))
		}
	})
	t.Run("dates", func(t *testing.T) {
		rd := read(t, r, renderCheck(t, acme, false))
		cases := []struct {
			name string
			now  time.Time
			want Status
		}{
			{"current", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Pass},
			{"stale", time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC), Fail},
			{"post-dated", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Fail},
		}
		for _, tc := range cases {
			rr := testReader(t, Options{Now: func() time.Time { return tc.now }})
			rr.verify(context.Background(), rd)
			if v := verdict(rd, VerifyDate); v.Status != tc.want {
				t.Errorf("%s: %s (%s)", tc.name, v.Status, v.Detail)
			}
		}
	})
	t.Run("deposited before", func(t *testing.T) {
		store := NewFileStore(t.TempDir())
		rr := testReader(t, Options{Store: store})
		data := renderCheck(t, acme, true)
		rd := read(t, rr, data)
		if v := verdict(rd, VerifyDuplicate); v.Status != Pass {
			t.Fatalf("first deposit: %+v", v)
		}
		if err := store.Add(context.Background(), RecordOf(rd, time.Now(), "first")); err != nil {
			t.Fatal(err)
		}
		// A second photo of the same check, taken differently, is recognised.
		rd2 := read(t, rr, renderCheck(t, acme, false))
		if v := verdict(rd2, VerifyDuplicate); v.Status != Uncertain {
			t.Fatalf("second deposit: %+v (distance %d)", v, Distance(rd.Fingerprint, rd2.Fingerprint))
		}
	})
}

func TestNotACheck(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Tesseract; skipped under -short")
	}
	r := testReader(t, Options{})
	g := image.NewGray(image.Rect(0, 0, 900, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 900; x++ {
			g.Pix[y*900+x] = uint8((x*x/300 + y*7) % 256) // a patterned picture, no text
		}
	}
	rd, err := r.Read(context.Background(), g)
	if !errors.Is(err, ErrNotCheck) || rd == nil || rd.IsCheck {
		t.Fatalf("Read = %v, %v", rd, err)
	}
	obs := Observations(media.Item{Kind: media.Image, Modality: media.ModImage}, rd)
	if len(obs) != 2 || obs[1].Kind != perception.KindNotCheck || obs[1].Text != NotCheckText {
		t.Fatalf("observations %+v", obs)
	}
}

func TestStage(t *testing.T) {
	data := renderCheck(t, acme, true)
	st := &Stage{reader: testReader(t, Options{})}
	obs, err := st.Process(context.Background(), media.Item{Kind: media.Image, Modality: media.ModImage, Data: data}, perception.Expectation{})
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string]any{}
	var kinds []string
	for _, o := range obs {
		kinds = append(kinds, o.Kind)
		if o.Kind == perception.KindEntity {
			slots[o.Slot] = o.Value
			if o.Source.Region == nil || o.Source.Stage != StageID {
				t.Errorf("slot %s: source %+v", o.Slot, o.Source)
			}
		}
		if o.Kind == perception.KindQuality && o.Text != "" {
			t.Errorf("a photo that reads well needs no retake: %q", o.Text)
		}
		if o.Kind == perception.KindArtifact && o.Slot == "amount" && (o.Attachment == nil || o.Attachment.Name != "amount.png") {
			t.Errorf("amount artifact %+v", o.Attachment)
		}
	}
	if slots["amount"] != 1250.75 || slots["date"] != "2026-11-20" || slots["check_number"] != "1043" || slots["payee"] != "ACME Corporation" {
		t.Fatalf("slots %v", slots)
	}
	for _, k := range []string{perception.KindQuality, perception.KindCheck, perception.KindArtifact} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s observation in %v", k, kinds)
		}
	}
	// Camera frames are not read; broken uploads give an error, not a panic.
	if obs, err := st.Process(context.Background(), media.Item{Kind: media.Image, Modality: media.ModVideo, Data: data}, perception.Expectation{}); obs != nil || err != nil {
		t.Errorf("video frame: %v, %v", obs, err)
	}
	if _, err := st.Process(context.Background(), media.Item{Kind: media.Image, Data: data[:len(data)/2]}, perception.Expectation{}); !errors.Is(err, media.ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
}

func TestParseCourtesyAndDate(t *testing.T) {
	amounts := map[string]float64{"$ 1,250.75": 1250.75, "**72.00**": 72, "$1O5.50": 105.5, "$ 12,345,678.90": 12345678.90, "$ 300": 300}
	for in, want := range amounts {
		if got, err := ParseCourtesy(in); err != nil || got != want {
			t.Errorf("ParseCourtesy(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	dates := map[string]string{"11/20/2026": "2026-11-20", "DATE 1l/2O/2026": "2026-11-20", "Nov 20, 2026": "2026-11-20",
		"2026-11-20": "2026-11-20", "11-20-26": "2026-11-20", "November 3rd, 2026": "2026-11-03"}
	for in, want := range dates {
		if got, err := ParseDate(in); err != nil || got.Format(time.DateOnly) != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "13/45/2026", "02/30/2026", "memo"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded", bad)
		}
	}
}

func FuzzParseCourtesy(f *testing.F) {
	for _, s := range []string{"$ 1,250.75", "**72.00**", "99999999999999", "1,2,3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseCourtesy(s); err == nil && (v < 0 || v > 1e9) {
			t.Fatalf("ParseCourtesy(%q) = %v", s, v)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"11/20/2026", "Nov 20, 2026", "2026-11-20", "1/1/99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil && (d.Year() < 1900 || d.Year() > 2200) {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
	})
}

func BenchmarkReadPhoto(b *testing.B) {
	data := renderCheck(b, acme, true)
	r := testReader(b, Options{})
	img, _, err := imagequal.Decode(data, media.DefaultLimits().MaxPixels)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.Read(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEditedAmount(t *testing.T) {
	r := testReader(t, Options{})
	rd := read(t, r, renderCheck(t, acme, true))
	if v := verdict(rd, VerifyEdits); v.Status != Pass {
		t.Fatalf("untouched photo: %+v", v)
	}
	// Paste a patch with a different grain over the amount, as an editor would.
	b := rd.Courtesy.Box.Inset(-rd.Courtesy.Box.Dy() / 2).Intersect(rd.doc.Rect)
	doc := image.NewGray(rd.doc.Rect)
	copy(doc.Pix, rd.doc.Pix)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := y*doc.Stride + x
			doc.Pix[i] = uint8(max(0, min(255, int(doc.Pix[i])+(x*7919+y*104729)%13-6)))
		}
	}
	rd.doc = doc
	r.verify(context.Background(), rd)
	if v := verdict(rd, VerifyEdits); v.Status != Uncertain || v.Evidence == nil {
		t.Fatalf("edited amount: %+v", v)
	}
}

func TestUnreadablePhotoAsksForRetake(t *testing.T) {
	data := renderCheck(t, acme, true)
	img, _, err := imagequal.Decode(data, media.DefaultLimits().MaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	// Blur it far beyond reading: shrink it ten times and enlarge it back.
	g := imagequal.Gray(img)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	g = imagequal.Resize(imagequal.Resize(g, w/10, h/10), w, h)
	rd, err := testReader(t, Options{}).Read(context.Background(), g)
	if err != nil && !errors.Is(err, ErrNotCheck) {
		t.Fatal(err)
	}
	obs := Observations(media.Item{Kind: media.Image}, rd)
	if obs[0].Kind != perception.KindQuality || obs[0].Text == "" {
		t.Fatalf("quality observation %+v (report %+v)", obs[0], rd.Quality)
	}
}
