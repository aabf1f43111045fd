package nlu

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestResidue(t *testing.T) {
	for _, c := range []struct {
		text    string
		covered []string
		context string
		want    []string
	}{
		{"yes a human forty", []string{"yes", "forty"}, "", []string{"human"}},
		{"yes please do", []string{"yes please"}, "", nil},
		{"yes, ten thirty", []string{"yes", "ten thirty"}, "", nil},
		{"Yes, deposit it to checking", []string{"Yes"}, "I read $1,030.00. Deposit to checking ending 1234?", nil},
		{"yes banana", []string{"yes"}, "Deposit to checking?", []string{"banana"}},
		{"um, that's right thanks", []string{"that's right"}, "", nil},
		// A span is matched once: the second "forty" is not accounted for.
		{"forty forty", []string{"forty"}, "", []string{"forty"}},
		// A span that is not in the text covers nothing.
		{"yes what", []string{"yes", "no"}, "", []string{"what"}},
		{"", []string{"yes"}, "", nil},
	} {
		if got := Residue(c.text, c.covered, c.context); !slices.Equal(got, c.want) {
			t.Errorf("Residue(%q, %q) = %q, want %q", c.text, c.covered, got, c.want)
		}
	}
}

func FuzzResidue(f *testing.F) {
	for _, s := range []string{"yes a human forty", "yes please do", "no, it's $1,250.75", "ça va, oui"} {
		f.Add(s, "yes", "Deposit $1,030.00?")
	}
	f.Fuzz(func(t *testing.T, text, covered, context string) {
		if !utf8.ValidString(text) {
			return
		}
		got := Residue(text, []string{covered}, context)
		all := contentWords(text)
		if len(got) > len(all) {
			t.Fatalf("residue %q longer than the words %q", got, all)
		}
		for _, w := range got {
			if !slices.Contains(all, w) || fillerWords[w] {
				t.Fatalf("residue word %q is not a content word of %q", w, text)
			}
		}
		// Covering the whole text leaves nothing.
		if r := Residue(text, []string{strings.Join(all, " ")}, ""); len(r) != 0 && len(all) > 0 {
			t.Fatalf("whole text covered, residue %q", r)
		}
	})
}
