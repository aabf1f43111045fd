package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/check/micr"
)

func init() {
	Register(&Command{Name: "micr", Summary: "read the E-13B MICR line of a cropped line image or a whole check (T U A D symbols; -v adds the fields)", Run: runMICR})
}

func runMICR(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("micr", out)
	verbose := fs.Bool("v", false, "also print the parsed fields (routing, account, check number, amount) and the confidence")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley micr [-v] IMAGE", ErrUsage)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	img, _, err := media.DecodeImage(data, 80_000_000)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	// A cropped line is much wider than high; anything else is treated as a whole check.
	b := img.Bounds()
	var l micr.Line
	if b.Dx() >= 4*b.Dy() {
		l, err = micr.Read(img)
	} else {
		l, err = micr.FindAndRead(img)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintln(out, l.Text)
	if !*verbose {
		return nil
	}
	fmt.Fprintf(out, "routing=%s valid=%t account=%s check=%s", l.Routing, micr.ValidRouting(l.Routing), l.Account, l.CheckNumber)
	if l.Amount != "" {
		fmt.Fprintf(out, " amount=%s", l.Amount)
	}
	fmt.Fprintf(out, " confidence=%.2f\n", l.Confidence)
	return nil
}
