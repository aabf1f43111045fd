package check

import (
	"context"
	"image"
	"testing"
	"time"
)

func stripes(phase int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 700, 320))
	for y := 0; y < 320; y++ {
		for x := 0; x < 700; x++ {
			g.Pix[y*700+x] = uint8(200 + 50*(((x+phase)/37+(y/29))%2))
		}
	}
	return g
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint(stripes(0)), Fingerprint(stripes(0))
	if Distance(a, b) != 0 {
		t.Fatalf("same image, distance %d", Distance(a, b))
	}
	if d := Distance(a, Fingerprint(stripes(18))); d < 40 {
		t.Errorf("different images, distance only %d", d)
	}
	if Distance(a, "zz") != -1 || Distance(a, "") != -1 {
		t.Error("bad fingerprints must not compare")
	}
}

func TestRecordSame(t *testing.T) {
	fp := Fingerprint(stripes(0))
	cases := []struct {
		name string
		a, b Record
		want bool
	}{
		{"same MICR", Record{Routing: "111000025", Account: "123", CheckNumber: "1043"}, Record{Routing: "111000025", Account: "123", CheckNumber: "1043"}, true},
		{"other serial", Record{Routing: "111000025", Account: "123", CheckNumber: "1043"}, Record{Routing: "111000025", Account: "123", CheckNumber: "1044"}, false},
		{"same image and amount", Record{Fingerprint: fp, Amount: 10}, Record{Fingerprint: fp, Amount: 10}, true},
		{"same image, other amount", Record{Fingerprint: fp, Amount: 10}, Record{Fingerprint: fp, Amount: 11}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Same(tc.b); got != tc.want {
				t.Fatalf("Same = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFileStorePersists(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rec := Record{Routing: "111000025", Account: "42", CheckNumber: "7", Amount: 5, Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	if _, seen, err := NewFileStore(dir).Seen(ctx, rec); err != nil || seen {
		t.Fatalf("empty store: seen %v, %v", seen, err)
	}
	if err := NewFileStore(dir).Add(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, seen, err := NewFileStore(dir).Seen(ctx, rec)
	if err != nil || !seen || !got.Time.Equal(rec.Time) {
		t.Fatalf("reloaded store: %+v %v %v", got, seen, err)
	}
}
