package nlu

import "strings"

// Answer is a yes or no found at the start of a reply.
type Answer struct {
	Value      string  `json:"value"` // "yes" or "no"
	Confidence float64 `json:"confidence"`
	End        int     `json:"-"` // byte offset after the answer words
}

// yes and no phrases, as normalised word sequences. Longer phrases are tried first.
var (
	yesPhrases = [][]string{
		{"that", "is", "right"}, {"that", "is", "correct"}, {"thats", "right"}, {"thats", "correct"},
		{"that", "s", "right"}, {"thats", "it"}, {"you", "got", "it"}, {"of", "course"}, {"uh", "huh"},
		{"sounds", "good"}, {"go", "ahead"}, {"it", "is"}, {"i", "do"}, {"i", "did"}, {"yes"}, {"yeah"},
		{"yep"}, {"yup"}, {"yea"}, {"ya"}, {"yah"}, {"correct"}, {"right"}, {"sure"}, {"affirmative"},
		{"absolutely"}, {"definitely"}, {"exactly"}, {"indeed"}, {"ok"}, {"okay"}, {"okey"}, {"yes", "please"},
		{"confirm"}, {"confirmed"}, {"true"}, {"please", "do"},
	}
	noPhrases = [][]string{
		{"that", "is", "wrong"}, {"thats", "wrong"}, {"that", "is", "not", "right"}, {"thats", "not", "right"},
		{"that", "is", "not", "correct"}, {"thats", "not", "correct"}, {"not", "right"}, {"not", "correct"},
		{"not", "really"}, {"no", "way"}, {"i", "dont"}, {"i", "didnt"}, {"it", "isnt"}, {"it", "is", "not"},
		{"no"}, {"nope"}, {"nah"}, {"nay"}, {"wrong"}, {"incorrect"}, {"negative"}, {"never"}, {"false"},
		{"dont"}, {"cancel"},
	}
	// notAnswers start with an answer word but are not answers.
	notAnswers = [][]string{{"no", "idea"}, {"no", "problem"}, {"right", "now"}, {"sure", "how"}}
)

// ParseYesNo reads a yes or no at the start of text: "yes", "yeah", "that's right", "nope",
// "that's wrong", "yes, twelve fifty seventy five". Leading fillers ("um", "well", "oh") are skipped.
// When expected is true, a yes or no later in a short reply counts too.
func ParseYesNo(text string, expected bool) (Answer, bool) {
	toks := lex(text)
	var words []token
	for _, t := range toks {
		if t.kind == tokWord {
			t.text = strings.ReplaceAll(strings.ReplaceAll(t.text, "'", ""), "’", "")
			words = append(words, t)
		}
	}
	for i := 0; i < len(words) && i < 3; i++ {
		switch words[i].text {
		case "um", "uh", "er", "erm", "well", "oh", "hmm", "so", "and":
			continue
		}
		if matchAny(words[i:], notAnswers) > 0 {
			return Answer{}, false
		}
		if n := matchAny(words[i:], noPhrases); n > 0 {
			return Answer{Value: "no", Confidence: 0.9, End: words[i+n-1].end}, true
		}
		if n := matchAny(words[i:], yesPhrases); n > 0 {
			return Answer{Value: "yes", Confidence: 0.9, End: words[i+n-1].end}, true
		}
		break
	}
	if !expected || len(words) > 8 {
		return Answer{}, false
	}
	for i := range words {
		if i > 0 && (words[i-1].text == "not" || strings.HasSuffix(words[i-1].text, "nt")) {
			if n := matchAny(words[i:], yesPhrases); n > 0 {
				return Answer{Value: "no", Confidence: 0.6, End: words[i+n-1].end}, true
			}
		}
		if n := matchAny(words[i:], noPhrases); n > 0 {
			return Answer{Value: "no", Confidence: 0.6, End: words[i+n-1].end}, true
		}
		if n := matchAny(words[i:], yesPhrases); n > 0 {
			return Answer{Value: "yes", Confidence: 0.6, End: words[i+n-1].end}, true
		}
	}
	return Answer{}, false
}

// matchAny returns the length of the longest phrase that words start with, or 0.
func matchAny(words []token, phrases [][]string) int {
	best := 0
	for _, p := range phrases {
		if len(p) <= best || len(p) > len(words) {
			continue
		}
		ok := true
		for j, w := range p {
			if words[j].text != w {
				ok = false
				break
			}
		}
		if ok {
			best = len(p)
		}
	}
	return best
}
