package kb_test

import (
	"testing"
	"testing/fstest"

	"github.com/parleyhq/parley/kb"
)

// FuzzLoad feeds arbitrary pack.yaml and article text to the loader: it must return a pack or an
// error, never panic.
func FuzzLoad(f *testing.F) {
	f.Add("name: x\nintents:\n  a:\n    examples: [hi]\n", "# Title\nbody")
	f.Add("flows:\n  f:\n    slots: [{name: a, type: amount}]\n    confirm: {slots: [a]}\n", "")
	f.Add("guides: {g: {steps: [{text: t}]}}\nfaults: [{code: E1, guide: g, parts: [p]}]\nparts: [{number: p}]\n", "no title")
	f.Fuzz(func(t *testing.T, pack, article string) {
		fsys := fstest.MapFS{"x/pack.yaml": {Data: []byte(pack)}, "x/articles/a.md": {Data: []byte(article)}}
		lib, err := kb.Load(fsys)
		if err != nil {
			return
		}
		for _, n := range lib.PackNames() {
			lib.IntentExamples(n)
			lib.Vocabulary(n)
		}
	})
}
