package asr

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// lmDiscount is the absolute discount of the trigram model.
const lmDiscount = 0.7

// writeARPA estimates an interpolated absolute-discounting trigram model from sentences (already
// normalised to dictionary words) and writes it in ARPA format, the text form pocketsphinx reads.
func writeARPA(w io.Writer, sentences []string) error {
	type ctx = string
	counts := [4]map[string]float64{nil, {}, {}, {}}
	for _, s := range sentences {
		ws := append(append([]string{"<s>"}, strings.Fields(s)...), "</s>")
		if len(ws) == 2 {
			continue
		}
		for i := range ws {
			for n := 1; n <= 3 && i-n+1 >= 0; n++ {
				counts[n][strings.Join(ws[i-n+1:i+1], " ")]++
			}
		}
	}
	if len(counts[1]) == 0 {
		return fmt.Errorf("asr: no sentences for the language model")
	}
	// Per-history totals and the number of distinct continuations, for orders 2 and 3.
	histTotal := map[ctx]float64{}
	histTypes := map[ctx]float64{}
	for n := 2; n <= 3; n++ {
		for g, c := range counts[n] {
			h := g[:strings.LastIndexByte(g, ' ')]
			histTotal[h] += c
			histTypes[h]++
		}
	}
	// Unigrams: discounted counts interpolated with a uniform distribution. <s> is never predicted.
	var total float64
	for g, c := range counts[1] {
		if g != "<s>" {
			total += c
		}
	}
	vocab := float64(len(counts[1]) - 1)
	uniTypes := vocab
	prob := [4]map[string]float64{nil, {}, {}, {}}
	for g, c := range counts[1] {
		if g == "<s>" {
			continue
		}
		prob[1][g] = (c-lmDiscount)/total + lmDiscount*uniTypes/total/vocab
	}
	bow := map[string]float64{}
	gamma := func(h string) float64 { return lmDiscount * histTypes[h] / histTotal[h] }
	for n := 2; n <= 3; n++ {
		for g, c := range counts[n] {
			sp := strings.LastIndexByte(g, ' ')
			h := g[:sp]
			lower := g[strings.IndexByte(g, ' ')+1:]
			pl := prob[n-1][lower]
			if n == 2 {
				pl = prob[1][g[sp+1:]]
			}
			prob[n][g] = (c-lmDiscount)/histTotal[h] + gamma(h)*pl
		}
	}
	for h := range histTotal {
		bow[h] = gamma(h)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\\data\\\nngram 1=%d\nngram 2=%d\nngram 3=%d\n", len(counts[1]), len(counts[2]), len(counts[3]))
	for n := 1; n <= 3; n++ {
		fmt.Fprintf(bw, "\n\\%d-grams:\n", n)
		keys := make([]string, 0, len(counts[n]))
		for g := range counts[n] {
			keys = append(keys, g)
		}
		sort.Strings(keys)
		for _, g := range keys {
			p := -99.0
			if v, ok := prob[n][g]; ok {
				p = math.Log10(v)
			}
			if b, ok := bow[g]; ok && n < 3 {
				fmt.Fprintf(bw, "%.4f\t%s\t%.4f\n", p, g, math.Log10(b))
			} else {
				fmt.Fprintf(bw, "%.4f\t%s\n", p, g)
			}
		}
	}
	bw.WriteString("\n\\end\\\n")
	return bw.Flush()
}
