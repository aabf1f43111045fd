package micr

import (
	"strings"
	"testing"
)

func TestRenderReadSharp(t *testing.T) {
	for _, text := range []string{"T123456780T 1234567890U1043", "U001043U T011000015T 98D7654U"} {
		for _, sc := range []float64{2.6, 3.9, 6} {
			img := LineImage(text, sc)
			l, err := Read(img)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ReplaceAll(l.Text, " ", "") != strings.ReplaceAll(text, " ", "") {
				t.Errorf("scale %.1f: got %q want %q", sc, l.Text, text)
			}
		}
	}
}

func BenchmarkRead(b *testing.B) {
	img := LineImage("T111000025T 123456789U1043", 3.9)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(img); err != nil {
			b.Fatal(err)
		}
	}
}
