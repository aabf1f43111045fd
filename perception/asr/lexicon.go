package asr

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
)

// lexicon is the pronunciation dictionary, read once. Decoders start with a small dictionary of the
// domain's words and get the others added as grammars need them: loading a language model walks
// the whole dictionary, which takes over a second with all of CMUdict's 134,000 words.
type lexicon struct {
	prons map[string][]string // word -> pronunciations (phones separated by spaces)
}

func loadLexicon(path string) (*lexicon, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &lexicon{prons: make(map[string][]string, 140000)}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		word, phones, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(word, '('); i > 0 {
			word = word[:i]
		}
		// Drop a trailing comment ("# place, name").
		if i := strings.IndexByte(phones, '#'); i >= 0 {
			phones = phones[:i]
		}
		if phones = strings.TrimSpace(phones); phones != "" {
			l.prons[word] = append(l.prons[word], phones)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for w, ps := range extraProns {
		if _, ok := l.prons[w]; ok {
			l.prons[w] = append(l.prons[w], ps...)
		}
	}
	if len(l.prons) == 0 {
		return nil, fmt.Errorf("asr: dictionary %s is empty", path)
	}
	return l, nil
}

// extraProns are reduced pronunciations CMUdict lacks, heard from synthetic and fast speakers
// ("twelve" with the final V swallowed before "hundred").
var extraProns = map[string][]string{
	"twelve": {"T W UW L", "T W EH L"},
}

func (l *lexicon) known(w string) bool { _, ok := l.prons[w]; return ok }

// writeDict writes the entries of words (those the lexicon knows) as a pocketsphinx dictionary.
func (l *lexicon) writeDict(path string, words map[string]bool) error {
	keys := make([]string, 0, len(words))
	for w := range words {
		if l.known(w) {
			keys = append(keys, w)
		}
	}
	sort.Strings(keys)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, w := range keys {
		for i, p := range l.prons[w] {
			if i == 0 {
				fmt.Fprintf(bw, "%s %s\n", w, p)
			} else {
				fmt.Fprintf(bw, "%s(%d) %s\n", w, i+1, p)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
