package cli

import (
	"testing"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception/asr"
)

// TestSpeechCasesHeldOut checks that no open sentence gen speech evaluates on is in the
// language-model corpus, so eval speech on generated audio measures speech the model has not seen.
// Typed answers (yes, savings, last friday) are closed sets the grammars enumerate by design.
func TestSpeechCasesHeldOut(t *testing.T) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range speechCases {
		if c.Type != "" && c.Type != "text" {
			continue
		}
		if asr.InCorpus(c.Pack, c.Text, lib) || asr.InCorpus("", c.Text, lib) {
			t.Errorf("%s %q is in the language-model corpus", c.Pack, c.Text)
		}
	}
}
