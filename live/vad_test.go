package live

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/vad"
	"github.com/parleyhq/parley/perception/vad/silero"
)

// TestVADSetting checks how Options.VAD resolves: energy when asked, energy with a warning when
// Silero is not installed, energy with an error for a kind that does not exist, and Silero
// alongside energy by default where it is installed.
func TestVADSetting(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	resolve := func(o Options) vad.Classifier {
		t.Helper()
		o.Logger = log
		c, err := classifiers(o.withDefaults())()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, ok := resolve(Options{VAD: "energy"}).(*vad.Energy); !ok {
		t.Error("energy did not give the energy classifier")
	}
	logs.Reset()
	if _, ok := resolve(Options{ModelDir: t.TempDir()}).(*vad.Energy); !ok || !strings.Contains(logs.String(), "Silero VAD not available") {
		t.Errorf("without Silero: want the energy classifier and a warning, logged %q", logs.String())
	}
	logs.Reset()
	if _, ok := resolve(Options{VAD: "loud"}).(*vad.Energy); !ok || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("unknown kind: want the energy classifier and an error, logged %q", logs.String())
	}
	dir := nn.ModelDir()
	if st := silero.Verify(dir); st[0].Err != nil || st[2].Err != nil {
		t.Skipf("Silero not installed in %s; run `parley models install` (or make test)", dir)
	}
	if _, ok := resolve(Options{}).(vad.Surer); !ok {
		t.Error("default with Silero installed is not energy and Silero together")
	}
	if _, ok := resolve(Options{VAD: "silero"}).(*silero.Stream); !ok {
		t.Error("silero did not give a Silero stream")
	}
}
