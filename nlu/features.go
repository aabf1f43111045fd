package nlu

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Feature namespaces keep word and character n-grams with the same bytes apart.
const (
	nsWord   = 1
	nsBigram = 2
	nsChar   = 3
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// normalize lowercases text, drops apostrophes inside words ("can't" -> "cant"), turns every other
// non-alphanumeric rune into a space and collapses spaces. The result has no leading or trailing
// space.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case (r == '\'' || r == '’') && !space && i+utf8.RuneLen(r) < len(s):
			// joined: "don't" -> "dont"
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// hashes appends the hashed n-gram features of text to dst. Word unigrams and bigrams (with
// sentence boundaries) and character n-grams of each word padded with spaces are produced.
func hashes(dst []uint64, text string, minN, maxN int) []uint64 {
	norm := normalize(text)
	if norm == "" {
		return dst
	}
	prev := hashBytes(nsBigram, "<s>")
	for w := range strings.SplitSeq(norm, " ") {
		h := hashBytes(nsWord, w) &^ charBit
		dst = append(dst, h, mix(prev, h)&^charBit)
		prev = h
		padded := " " + w + " "
		for n := minN; n <= maxN; n++ {
			for i := 0; i+n <= len(padded); i++ {
				dst = append(dst, hashBytes(nsChar, padded[i:i+n])|charBit)
			}
		}
	}
	dst = append(dst, mix(prev, hashBytes(nsBigram, "</s>"))&^charBit)
	return dst
}

// charBit marks the hashes of character n-grams, which are weighted as a view of their own.
const charBit = 1 << 63

// wordWeight is the weight of the word view against the character view.
const wordWeight = 1.0

func hashBytes(ns byte, s string) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(ns)
	h *= fnvPrime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix combines two hashes into the hash of a bigram.
func mix(a, b uint64) uint64 {
	h := a*31 + b
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h ^ nsBigram
}

// term is one feature of a document and its count.
type term struct {
	hash uint64
	tf   float32
}

// countTerms sorts hs and folds duplicates into counts.
func countTerms(dst []term, hs []uint64) []term {
	slices.Sort(hs)
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && hs[j] == hs[i] {
			j++
		}
		dst = append(dst, term{hash: hs[i], tf: float32(j - i)})
		i = j
	}
	return dst
}

// sparse is an L2-normalised feature vector over the classifier's vocabulary.
type sparse struct {
	idx []int32
	val []float32
}

// vectorize maps counted terms through vocab and idf into a normalised sparse vector; terms not in
// the vocabulary are dropped.
func vectorize(terms []term, vocab map[uint64]int32, idf []float32, v *sparse) {
	v.idx, v.val = v.idx[:0], v.val[:0]
	var norms [2]float64
	for _, t := range terms {
		j, ok := vocab[t.hash]
		if !ok {
			continue
		}
		w := (1 + float32(math.Log(float64(t.tf)))) * idf[j]
		v.idx = append(v.idx, j)
		v.val = append(v.val, w)
		norms[t.hash>>63] += float64(w) * float64(w)
	}
	{
		// Each view is normalised, then weighted: word features would otherwise be swamped by
		// the many more character n-grams.
		var scale [2]float32
		if norms[0] > 0 {
			scale[0] = float32(wordWeight / math.Sqrt(norms[0]))
		}
		if norms[1] > 0 {
			scale[1] = float32(1 / math.Sqrt(norms[1]))
		}
		k := 0
		for _, t := range terms {
			if _, ok := vocab[t.hash]; ok {
				v.val[k] *= scale[t.hash>>63]
				k++
			}
		}
		norms[0], norms[1] = 0, 0
		for _, x := range v.val {
			norms[0] += float64(x) * float64(x)
		}
	}
	norm := norms[0] + norms[1]
	if norm == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v.val {
		v.val[i] *= inv
	}
}
