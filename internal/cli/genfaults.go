package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/faultgen/magick"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

func init() {
	Register(&Command{Name: "gen faults", Summary: "render narrated fault videos (panels with seven-segment codes, blinking lights, rating plates; shake, blur, glare) with truth.jsonl (--n, --out, --seed, --seconds)", Run: runGenFaults})
}

func runGenFaults(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("gen faults", out)
	n := fs.Int("n", 24, "videos to make")
	dir := fs.String("out", "", "output folder (created)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same videos")
	secs := fs.Float64("seconds", 8, "length of each video")
	routers := fs.Float64("routers", 0.17, "share of router videos (telecom); the rest are appliances")
	renderer := fs.String("renderer", "go", "go: faultgen's renderer; magick: a second renderer sharing no drawing code (ImageMagick panels, Debian fonts, ffmpeg shake and blur; appliances only, the code never said)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" || *n < 1 || *secs < 2 || *secs > 120 || *routers < 0 || *routers > 1 || (*renderer != "go" && *renderer != "magick") {
		return fmt.Errorf("%w: parley gen faults --out DIR [--n N] [--seed S] [--seconds 2..120] [--routers 0..1] [--renderer go|magick]", ErrUsage)
	}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(*n, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("fault videos"), progressbar.OptionClearOnFinish())
	var truth []faultgen.Truth
	if *renderer == "magick" {
		truth, err = magick.Generate(ctx, lib, *dir, *n, *seed, *secs, func(i, _ int) { bar.Set(i) })
	} else {
		truth, err = faultgen.Generate(ctx, lib, *dir, faultgen.Options{N: *n, Seed: *seed, Seconds: *secs, Routers: *routers},
			func(i, _ int) { bar.Set(i) })
	}
	if err != nil {
		return err
	}
	named := 0
	for _, t := range truth {
		if t.NamesCode {
			named++
		}
	}
	fmt.Fprintf(out, "wrote %d videos and truth.jsonl to %s; the narration names the code in %d of them\n", len(truth), *dir, named)
	return nil
}
