package kb_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

func TestAppliancePackKnowledge(t *testing.T) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := lib.Pack("appliances")
	kinds := map[string]int{}
	for _, p := range app.Products {
		kinds[p.Kind]++
		if p.Display == nil || p.Display.Type != "sevenseg" || len(p.Lights) == 0 {
			t.Errorf("product %s lacks its display or lights", p.ID)
		}
	}
	if len(app.Products) < 4 || kinds["washer"] < 2 || kinds["dishwasher"] < 2 {
		t.Fatalf("products %v", kinds)
	}
	if len(app.Faults) < 12 {
		t.Fatalf("%d fault codes", len(app.Faults))
	}
	for _, f := range app.Faults {
		cs := f.FaultCauses()
		sum := 0.0
		for i, c := range cs {
			sum += c.Prior
			if i > 0 && c.Prior > cs[i-1].Prior {
				t.Errorf("%s: causes not ranked by prior", f.Code)
			}
		}
		if len(cs) < 2 || sum < 0.99 || sum > 1.01 {
			t.Errorf("%s: %d causes, priors sum to %.2f", f.Code, len(cs), sum)
		}
		g := app.Guides[f.Guide]
		if g == nil || g.Minutes == 0 || len(g.Safety) == 0 {
			t.Errorf("%s: guide %q without time or safety", f.Code, f.Guide)
		}
		for _, s := range g.Steps {
			if s.Simple == "" || s.Image == "" {
				t.Errorf("%s: step %q without simple wording or image", f.Code, s.Text)
			}
		}
	}
	if pr, ok := app.ProductByModel("wm 4500"); !ok || pr.Kind != "washer" {
		t.Fatalf("ProductByModel: %+v %v", pr, ok)
	}
	tel, _ := lib.Pack("telecom")
	if f, ok := tel.Fault("NO-SYNC", "router"); !ok || len(f.Lights) == 0 {
		t.Fatalf("router fault by lights: %+v", f)
	}
}

func TestLoadRejectsBadCauses(t *testing.T) {
	base := "name: x\nintents:\n  a:\n    examples: [hi]\nparts:\n  - {number: P1, name: p, price: 1}\nchecks:\n  c1: {question: q}\nfaults:\n  - code: E1\n    kind: k\n    causes:\n"
	for _, c := range []struct{ name, cause string }{
		{"prior zero", "      - {id: a, text: t, prior: 0}\n"},
		{"prior over one", "      - {id: a, text: t, prior: 1.5}\n"},
		{"unknown part", "      - {id: a, text: t, prior: 0.5, parts: [P9]}\n"},
		{"unknown check", "      - {id: a, text: t, prior: 0.5, check: c9}\n"},
		{"unknown guide", "      - {id: a, text: t, prior: 0.5, guide: g9}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := kb.Load(fstest.MapFS{"x/pack.yaml": {Data: []byte(base + c.cause)}})
			if !errors.Is(err, kb.ErrBadCause) {
				t.Fatalf("err %v, want ErrBadCause", err)
			}
		})
	}
	if _, err := kb.Load(fstest.MapFS{"x/pack.yaml": {Data: []byte(base + "      - {id: a, text: t, prior: 0.5, parts: [P1], check: c1}\n")}}); err != nil {
		t.Fatal(err)
	}
}
