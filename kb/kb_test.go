package kb_test

import (
	"testing"
	"testing/fstest"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

func TestLoadDemoPacks(t *testing.T) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bank", "telecom", "appliances"} {
		p, err := lib.Pack(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.Intents["human"]; !ok {
			t.Errorf("%s: common intents not merged", name)
		}
		if len(lib.IntentExamples(name)) < 4 {
			t.Errorf("%s: too few intents", name)
		}
	}
	app, _ := lib.Pack("appliances")
	f, ok := app.Fault("e21", "washer")
	if !ok || f.Guide != "washer_drain" {
		t.Fatalf("fault E21: %+v %v", f, ok)
	}
	if pr, ok := app.Product("washer"); !ok || pr.ID != "WM-3000" {
		t.Fatalf("product alias: %+v", pr)
	}
	if _, err := lib.Pack("nope"); err == nil {
		t.Fatal("unknown pack accepted")
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, yaml string
	}{
		{"unknown key", "name: x\nintents: {}\nbogus: 1\n"},
		{"unknown flow", "name: x\nintents:\n  a:\n    flow: nope\n    examples: [hi]\n"},
		{"no examples", "name: x\nintents:\n  a: {}\n"},
		{"unknown guide", "name: x\nflows:\n  f:\n    guide: g\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"x/pack.yaml": {Data: []byte(tc.yaml)}}
			if _, err := kb.Load(fsys); err == nil {
				t.Fatal("accepted a broken pack")
			}
		})
	}
}
