// Package textcue finds frustration and confusion cues in what a customer writes or says: phrases
// such as "this is ridiculous", "I already told you" or "what do you mean", weighed up by
// intensifiers, exclamation marks and capitals, and ignored when negated ("I'm not frustrated").
// It registers the stage "text.cues".
package textcue

import (
	"context"
	"math"
	"regexp"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// StageID is the registered name of the stage.
const StageID = "text.cues"

// Dimensions reported in an affect cue's value.
const (
	Frustration = "frustration"
	Confusion   = "confusion"
)

// cue is one phrase pattern and how much it pulls towards each dimension.
type cue struct {
	re          *regexp.Regexp
	frustration float64
	confusion   float64
	// negatable is false for cues that already contain their negation ("nothing works").
	negatable bool
}

func c(pattern string, f, conf float64, negatable bool) cue {
	return cue{re: regexp.MustCompile(`\b(?:` + pattern + `)\b`), frustration: f, confusion: conf, negatable: negatable}
}

// cues are matched against lowercased text with apostrophes normalised. Weights are the
// probability-like strength of one occurrence; several cues combine as a noisy-or.
var cues = []cue{
	// Frustration: complaints about the service.
	c(`this is (?:ridiculous|absurd|insane|unacceptable|a joke)|ridiculous|absurd|unacceptable|outrageous`, 0.6, 0, true),
	c(`i (?:have |ve )?already (?:told|said|explained|gave|given|sent)(?: you)?|i told you|told you (?:already|before|again|twice|three times|\w+ times)|how many times`, 0.6, 0, true),
	c(`i (?:have |ve )?(?:already )?told you (?:\w+ )?times|(?:three|four|five|several|many|multiple|ten|\d+) times`, 0.3, 0, false),
	c(`i (?:have |ve )?already (?:did|done|tried|restarted|rebooted|checked|unplugged)(?: that| this| it| everything)?|already tried|tried everything|i did that already`, 0.4, 0, true),
	c(`nothing (?:works|is working|worked|helps|helped|changes|changed)|still (?:not working|doesn't work|does not work|broken|down)|(?:doesn't|does not|isn't|is not|won't|will not) work(?:ing)? again`, 0.5, 0, false),
	c(`frustrat(?:ing|ed|ion)|annoy(?:ing|ed)|irritat(?:ing|ed)|exasperat(?:ing|ed)|fed up|sick (?:and tired )?of|tired of|had enough|enough is enough`, 0.6, 0, true),
	c(`angry|furious|livid|mad at|pissed(?: off)?|outraged|upset`, 0.65, 0, true),
	c(`waste of (?:my )?time|wasting my time|useless|pointless|hopeless|terrible|awful|horrible|worst|pathetic|incompetent|stupid|rubbish|garbage`, 0.55, 0, true),
	c(`(?:you(?:'re| are)|this is|that's|that is|it's|it is) not (?:helping|helpful|working)|(?:doesn't|does not|didn't|did not) help`, 0.45, 0, false),
	c(`(?:speak|talk) to (?:a |an |your )?(?:human|person|manager|supervisor|agent|someone)|(?:real|actual) (?:person|human)|give me (?:a |an )?(?:human|person|agent|manager)`, 0.5, 0, true),
	c(`for (?:hours|days|weeks|ages)|all (?:day|week|morning)|every (?:single )?time|again and again|over and over`, 0.35, 0, true),
	c(`come on|seriously|ugh+|argh+|wtf|ffs|omg|damn(?:it)?|dammit|hell|cancel my (?:account|contract|subscription)`, 0.4, 0, true),
	c(`i hate|hate this|can't believe|cannot believe|unbelievable`, 0.5, 0, true),
	// Confusion: not understanding the instructions.
	c(`i (?:don't|do not|didn't|did not|can't|cannot) (?:understand|get it|follow|see what)|i don't get|not following|can't follow`, 0, 0.7, false),
	c(`what (?:do |did )?you mean|what does (?:that|this|it) mean|what is that supposed to mean|meaning what|what are you talking about`, 0.1, 0.7, false),
	c(`confus(?:ed|ing)|puzzled|baffled|lost me|i'm lost|i am lost|no idea|no clue|clueless`, 0, 0.65, true),
	c(`(?:doesn't|does not|don't|do not) make (?:any )?sense|makes no sense|unclear|not clear|not sure (?:what|how|where|which)|i'm not sure|i am not sure`, 0.15, 0.55, false),
	c(`which (?:one|cable|button|light|port|plug|box|wire|setting)|where (?:is|are|do i find) (?:that|it|this|they|the)|how do i (?:do|find) that|can you explain|explain (?:that |it )?again|say that again|come again|huh|pardon|sorry what`, 0, 0.45, true),
}

// understood blanks out phrases that look like cues but say the opposite ("I see what you mean").
var understood = regexp.MustCompile(`\b(?:know|see|get|understand) what you mean\b|\bno problem\b|\bnot a problem\b`)

// wholeQuestion matches a terse "what X?" question ("What cable?"), a typical confused echo.
var wholeQuestion = regexp.MustCompile(`(?:^|[.!?]\s*)what(?: \w+){0,2}\s*\?`)

var (
	negators     = map[string]bool{"not": true, "no": true, "never": true, "isn't": true, "wasn't": true, "aren't": true, "don't": true, "didn't": true, "doesn't": true, "without": true, "hardly": true, "nor": true, "neither": true, "ain't": true}
	intensifiers = map[string]bool{"so": true, "really": true, "very": true, "extremely": true, "totally": true, "absolutely": true, "completely": true, "utterly": true, "incredibly": true, "super": true, "fucking": true, "bloody": true, "too": true, "such": true, "truly": true}
	calm         = regexp.MustCompile(`\b(?:no problem|not a problem|no worries|no rush|not frustrated|not angry|not upset|not confused|all good|that's fine|that worked|it works now|working now|thank you|thanks)\b`)
	apostrophes  = strings.NewReplacer("\u2019", "'", "\u2018", "'", "`", "'")
	contractions = strings.NewReplacer(" dont ", " don't ", " cant ", " can't ", " doesnt ", " doesn't ", " didnt ", " didn't ", " im ", " i'm ", " isnt ", " isn't ", " wont ", " won't ", " ive ", " i've ", " thats ", " that's ", " youre ", " you're ")
)

// Match is one cue found in a text.
type Match struct {
	Phrase      string
	Frustration float64
	Confusion   float64
}

// Result is the cues found in one text. Frustration and Confusion are in [0,1].
type Result struct {
	Frustration float64
	Confusion   float64
	Matches     []Match
}

// Analyze scores frustration and confusion in text.
func Analyze(text string) Result {
	norm := normalize(text)
	for _, loc := range understood.FindAllStringIndex(norm, -1) {
		if !negated(clauseBefore(norm, loc[0])) { // "I don't see what you mean" stays a cue
			norm = norm[:loc[0]] + strings.Repeat(" ", loc[1]-loc[0]) + norm[loc[1]:]
		}
	}
	var res Result
	var pf, pc = 1.0, 1.0 // products of (1 - weight) for the noisy-or
	add := func(m Match) {
		pf *= 1 - math.Min(m.Frustration, 0.97)
		pc *= 1 - math.Min(m.Confusion, 0.97)
		res.Matches = append(res.Matches, m)
	}
	taken := make([]bool, len(norm)) // bytes already matched by a stronger cue
	for _, q := range cues {
		for _, loc := range q.re.FindAllStringIndex(norm, -1) {
			if overlaps(taken, loc) {
				continue
			}
			before := clauseBefore(norm, loc[0])
			if q.negatable && negated(before) {
				continue
			}
			mark(taken, loc)
			boost := 1.0
			if intensified(before) {
				boost = 1.3
			}
			add(Match{
				Phrase:      norm[loc[0]:loc[1]],
				Frustration: math.Min(q.frustration*boost, 0.95),
				Confusion:   math.Min(q.confusion*boost, 0.95),
			})
		}
	}
	for _, loc := range wholeQuestion.FindAllStringIndex(norm, -1) {
		if overlaps(taken, loc) {
			continue
		}
		mark(taken, loc)
		add(Match{Phrase: strings.TrimLeft(norm[loc[0]:loc[1]], ".!? "), Confusion: 0.5})
	}
	if n := strings.Count(norm, "??"); n > 0 {
		add(Match{Phrase: "??", Confusion: 0.3})
	}
	res.Frustration = 1 - pf
	res.Confusion = 1 - pc
	// Emphasis: exclamation marks and shouting amplify what is there, and a little on their own.
	excl := min(strings.Count(text, "!"), 3)
	caps := shoutedWords(text)
	if excl > 0 || caps >= 2 {
		emph := 0.1*float64(excl) + 0.1*float64(min(caps, 4))
		if res.Frustration > 0 {
			res.Frustration += (1 - res.Frustration) * math.Min(emph, 0.5)
		} else if excl >= 2 || caps >= 2 {
			if !calm.MatchString(norm) {
				res.Frustration = math.Min(emph, 0.4)
				res.Matches = append(res.Matches, Match{Phrase: "emphasis", Frustration: res.Frustration})
			}
		}
	}
	res.Frustration = round3(res.Frustration)
	res.Confusion = round3(res.Confusion)
	return res
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func normalize(text string) string {
	s := strings.ToLower(apostrophes.Replace(text))
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimSpace(contractions.Replace(" " + s + " "))
}

// clauseBefore returns the words of the clause that precede position i.
func clauseBefore(s string, i int) []string {
	start := strings.LastIndexAny(s[:i], ".,;:!?")
	seg := s[start+1 : i]
	if j := strings.LastIndex(seg, " but "); j >= 0 {
		seg = seg[j+5:]
	}
	return strings.Fields(seg)
}

// negated reports whether one of the three words before a cue negates it.
func negated(before []string) bool {
	for k := len(before) - 1; k >= 0 && k >= len(before)-3; k-- {
		w := strings.Trim(before[k], "\"'()")
		if negators[w] || strings.HasSuffix(w, "n't") {
			return true
		}
	}
	return false
}

func intensified(before []string) bool {
	for k := len(before) - 1; k >= 0 && k >= len(before)-2; k-- {
		if intensifiers[before[k]] {
			return true
		}
	}
	return false
}

// shoutedWords counts words of three or more letters written in capitals.
func shoutedWords(text string) int {
	n := 0
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) >= 3 && strings.ToUpper(w) == w && strings.ToLower(w) != w {
			n++
		}
	}
	return n
}

func overlaps(taken []bool, loc []int) bool {
	for i := loc[0]; i < loc[1]; i++ {
		if taken[i] {
			return true
		}
	}
	return false
}

func mark(taken []bool, loc []int) {
	for i := loc[0]; i < loc[1]; i++ {
		taken[i] = true
	}
}

// Stage emits one affect cue observation for a text that carries frustration or confusion.
type Stage struct{}

var _ perception.Stage = Stage{}

func init() {
	perception.Register(StageID, func(perception.Env) (perception.Stage, error) { return Stage{}, nil })
}

// Name returns the stage ID.
func (Stage) Name() string { return StageID }

// Accepts reports whether the stage reads k: text, including transcripts of speech.
func (Stage) Accepts(k media.Kind) bool { return k == media.Text }

// Process returns a perception.KindAffectCue observation with Value map[string]float64 holding
// "frustration" and "confusion" (zeros omitted) and Text listing the matched cues; nothing when
// the text carries no cue.
func (Stage) Process(ctx context.Context, item media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := Analyze(item.Text)
	if r.Frustration == 0 && r.Confusion == 0 {
		return nil, nil
	}
	v := map[string]float64{}
	if r.Frustration > 0 {
		v[Frustration] = r.Frustration
	}
	if r.Confusion > 0 {
		v[Confusion] = r.Confusion
	}
	phrases := make([]string, len(r.Matches))
	for i, m := range r.Matches {
		phrases[i] = m.Phrase
	}
	return []perception.Observation{{
		Kind:       perception.KindAffectCue,
		Value:      v,
		Text:       strings.Join(phrases, "; "),
		Confidence: 0.7,
		Source: perception.Source{
			MessageID: item.MessageID,
			Part:      item.Part,
			Modality:  item.Modality,
			Stage:     StageID,
		},
	}}, nil
}
