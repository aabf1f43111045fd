package micr_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/checkgen"
	"github.com/parleyhq/parley/perception/check/micr"
)

func squash(s string) string { return strings.ReplaceAll(s, " ", "") }

// TestGeneratedChecks renders whole checks, degrades them and reads the MICR line with FindAndRead.
// MICR_EVAL=N runs N checks per degradation and prints the accuracy table.
func TestGeneratedChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and reads whole checks")
	}
	n := 2
	if v, err := strconv.Atoi(os.Getenv("MICR_EVAL")); err == nil {
		n = v
	}
	degs := checkgen.Degradations
	if v := os.Getenv("MICR_DEGS"); v != "" {
		degs = strings.Split(v, ",")
	}
	total, okAll := 0, 0
	for di, d := range degs {
		g := checkgen.New(int64(1000 + di))
		ok := 0
		var spent time.Duration
		for i := 0; i < n; i++ {
			c, img := g.Generate(checkgen.Options{})
			img, err := checkgen.Degrade(img, d, g.Rand())
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			l, err := micr.FindAndRead(img)
			spent += time.Since(t0)
			if err == nil && squash(l.Text) == squash(c.MICR) && l.Routing == c.Routing && l.Account == c.Account {
				ok++
			} else {
				t.Logf("%s #%d: want %q got %q (%v)", d, i, c.MICR, l.Text, err)
			}
		}
		total += n
		okAll += ok
		fmt.Printf("%-12s %3d/%3d exact  %6.1f ms/check\n", d, ok, n, float64(spent.Milliseconds())/float64(n))
	}
	fmt.Printf("all          %3d/%3d exact (%.1f%%)\n", okAll, total, 100*float64(okAll)/float64(total))
}

func BenchmarkFindAndRead(b *testing.B) {
	g := checkgen.New(5)
	_, img := g.Generate(checkgen.Options{Layout: checkgen.Personal})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := micr.FindAndRead(img); err != nil {
			b.Fatal(err)
		}
	}
}
