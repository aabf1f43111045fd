package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/checkgen"
	"github.com/parleyhq/parley/checkgen/specimen"
	"github.com/parleyhq/parley/perception/check/micr"
)

func init() {
	Register(&Command{Name: "gen checks", Summary: "render synthetic checks with degradations and truth.jsonl (--n, --out, --seed, --degrade)", Run: runGenChecks})
	Register(&Command{Name: "gen micr", Summary: "render cropped E-13B MICR line images with truth.jsonl (--n, --out, --seed)", Run: runGenMICR})
}

// genTruth is one line of truth.jsonl: the image, its degradation and every ground-truth field.
type genTruth struct {
	File        string `json:"file"`
	Degradation string `json:"degradation"`
	checkgen.Check
}

func runGenChecks(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("gen checks", out)
	n := fs.Int("n", 20, "checks per degradation")
	dir := fs.String("out", "", "output folder (created)")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same checks")
	degrade := fs.String("degrade", "sharp", "comma-separated degradations, or all: "+strings.Join(checkgen.Degradations, ","))
	layout := fs.String("layout", "", "personal, business or empty for a mix")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" || *n < 1 {
		return fmt.Errorf("%w: parley gen checks --n N --out DIR [--seed S] [--degrade sharp,blur2,...]", ErrUsage)
	}
	if *layout != "" && *layout != checkgen.Personal && *layout != checkgen.Business {
		return fmt.Errorf("%w: --layout must be personal or business", ErrUsage)
	}
	degs := strings.Split(*degrade, ",")
	if *degrade == "all" {
		degs = checkgen.Degradations
	}
	for _, d := range degs {
		if !contains(checkgen.Degradations, d) {
			return fmt.Errorf("%w: unknown degradation %q (known: %s)", ErrUsage, d, strings.Join(checkgen.Degradations, ","))
		}
	}
	return writeSet(ctx, *dir, out, func(w func(genTruth, image.Image) error) error {
		g := checkgen.New(*seed)
		for i := 0; i < *n; i++ {
			for _, d := range degs {
				if err := ctx.Err(); err != nil {
					return err
				}
				c, img := g.Generate(checkgen.Options{Layout: *layout})
				dimg, err := checkgen.Degrade(img, d, g.Rand())
				if err != nil {
					return err
				}
				ext := ".png"
				if checkgen.IsJPEG(d) {
					ext = ".jpg"
				}
				if err := w(genTruth{File: fmt.Sprintf("check_%04d_%s%s", i, d, ext), Degradation: d, Check: c}, dimg); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func runGenMICR(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("gen micr", out)
	n := fs.Int("n", 100, "number of lines")
	dir := fs.String("out", "", "output folder (created)")
	seed := fs.Int64("seed", 1, "random seed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" || *n < 1 {
		return fmt.Errorf("%w: parley gen micr --n N --out DIR [--seed S]", ErrUsage)
	}
	return writeSet(ctx, *dir, out, func(w func(genTruth, image.Image) error) error {
		g := checkgen.New(*seed)
		for i := 0; i < *n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, _ := g.Generate(checkgen.Options{})
			scale := 2.5 + g.Rand().Float64()*3
			img := micr.LineImage(c.MICR, scale)
			if err := w(genTruth{File: fmt.Sprintf("micr_%05d.png", i), Degradation: "sharp", Check: c}, img); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeSet creates dir and lets gen write images and their truth.jsonl lines into it.
func writeSet(ctx context.Context, dir string, out io.Writer, gen func(func(genTruth, image.Image) error) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tf, err := os.Create(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	defer tf.Close()
	tw := bufio.NewWriter(tf)
	enc := json.NewEncoder(tw)
	count := 0
	err = gen(func(t genTruth, img image.Image) error {
		f, err := os.Create(filepath.Join(dir, t.File))
		if err != nil {
			return err
		}
		if strings.HasSuffix(t.File, ".jpg") {
			q := 75
			if t.Degradation == "jpeg30" {
				q = 30
			}
			err = jpeg.Encode(f, img, &jpeg.Options{Quality: q})
		} else {
			err = png.Encode(f, img)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		count++
		return enc.Encode(t)
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d images and truth.jsonl to %s\n", count, dir)
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func init() {
	Register(&Command{Name: "gen specimens", Summary: "render checks with the independent ImageMagick renderer (MICR from the E-13B dimensions at four weights, scan and phone) with truth.jsonl (--n, --out, --seed)", Run: runGenSpecimens})
}

// specimenTruth is one line of a specimen set's truth.jsonl.
type specimenTruth struct {
	File        string `json:"file"`
	Degradation string `json:"degradation"`
	specimen.Check
}

// runGenSpecimens renders n filled checks at each stroke weight, as a scan and as a phone photo,
// and the two fixed specimens (the blank bank specimen and the 1975 personal check).
func runGenSpecimens(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("gen specimens", out)
	n := fs.Int("n", 5, "filled checks per stroke weight")
	dir := fs.String("out", "", "output folder (created)")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same checks")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" || *n < 0 {
		return fmt.Errorf("%w: parley gen specimens --n N --out DIR [--seed S]", ErrUsage)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(*seed))
	var set []specimen.Check
	for i := 0; i < *n; i++ {
		for _, w := range specimen.Weights {
			set = append(set, specimen.Random(rng, w))
		}
	}
	set = append(set, specimen.BlankSpecimen(specimen.Nominal), specimen.Personal1975(specimen.Nominal))
	tf, err := os.Create(filepath.Join(*dir, "truth.jsonl"))
	if err != nil {
		return err
	}
	defer tf.Close()
	enc := json.NewEncoder(tf)
	count := 0
	for i, c := range set {
		base := fmt.Sprintf("spec_%04d_%s_%s", i, c.Style, c.Weight)
		scan := filepath.Join(*dir, base+"_scan.png")
		if err := specimen.Render(ctx, c, scan); err != nil {
			return err
		}
		phone := filepath.Join(*dir, base+"_phone.jpg")
		if err := specimen.Phone(ctx, scan, phone, rng.Float64()); err != nil {
			return err
		}
		for _, v := range []struct{ file, deg string }{{scan, "scan-"}, {phone, "phone-"}} {
			if err := enc.Encode(specimenTruth{File: filepath.Base(v.file), Degradation: v.deg + string(c.Weight), Check: c}); err != nil {
				return err
			}
			count++
		}
	}
	if err := tf.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d images and truth.jsonl to %s\n", count, *dir)
	return nil
}
