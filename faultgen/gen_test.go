package faultgen_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

func TestGenerate(t *testing.T) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth, err := faultgen.Generate(context.Background(), lib, dir, faultgen.Options{N: 3, Seed: 9, Seconds: 2, Routers: 0.34}, nil)
	if errors.Is(err, faultgen.ErrNoTool) && testing.Short() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != 3 || truth[2].Pack != "telecom" || truth[0].Pack != "appliances" || !truth[0].NamesCode || truth[1].NamesCode {
		t.Fatalf("truth %+v", truth)
	}
	if strings.Contains(strings.ToUpper(truth[1].Narration), truth[1].Code) {
		t.Fatalf("narration %q names the code", truth[1].Narration)
	}
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var tr faultgen.Truth
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil || tr.File == "" {
			t.Fatalf("truth line %q: %v", sc.Text(), err)
		}
	}
	if lines != 3 {
		t.Fatalf("%d truth lines", lines)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "csv=p=0", filepath.Join(dir, truth[0].File)).Output()
	if err != nil || !strings.Contains(string(out), "video,1280,720") || !strings.Contains(string(out), "audio") {
		t.Fatalf("ffprobe: %q %v", out, err)
	}
}
