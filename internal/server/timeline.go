package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/web/chart"
)

// timelineCue is one reading that moved frustration or confusion.
type timelineCue struct {
	Source    string  `json:"source"` // words, voice, face, face: brows lowered ...
	Modality  string  `json:"modality"`
	Dimension string  `json:"dimension"`
	Value     float64 `json:"value"`
}

// timelinePoint is the customer's affect after one of their messages.
type timelinePoint struct {
	At          time.Time       `json:"at"`
	MessageID   string          `json:"message_id"`
	Seq         int             `json:"seq"`
	Text        string          `json:"text,omitempty"`
	Frustration float64         `json:"frustration"`
	Confusion   float64         `json:"confusion"`
	Cues        []timelineCue   `json:"cues"`
	Style       *dialogue.Style `json:"style,omitempty"`
	// StyleChange describes how the reply's style changed from the previous reply, if it did.
	StyleChange string `json:"style_change,omitempty"`
	// Handoff marks the message after which the conversation went to a person.
	Handoff bool `json:"handoff,omitempty"`
	// Facts are what the stages read in the message (slot values, transcripts), each with the
	// stage and version that read it: the turn's own, then later replays.
	Facts []timelineFact `json:"facts"`
}

// timelineFact is one fact a stage read in a message.
type timelineFact struct {
	Fact         string  `json:"fact"` // a slot (amount) or a kind (transcript, intent)
	Value        string  `json:"value"`
	Confidence   float64 `json:"confidence"`
	Stage        string  `json:"stage"`
	StageVersion string  `json:"stage_version,omitempty"`
	// Origin is "turn" for what the turn used, "replay" for a later reading by parley replay.
	Origin string `json:"origin"`
}

// messageFacts keeps the observations that are facts: slot values, transcripts, intents, answers.
func messageFacts(obs []perception.Observation, origin string) []timelineFact {
	var out []timelineFact
	for _, o := range obs {
		name := o.Slot
		switch o.Kind {
		case perception.KindEntity:
		case perception.KindTranscript, perception.KindIntent, perception.KindAnswer:
			name = o.Kind
		default:
			continue
		}
		if name == "" {
			continue
		}
		var val string
		switch v := o.Value.(type) {
		case string:
			val = v
		case float64:
			typ := ""
			if strings.Contains(name, "amount") {
				typ = "amount"
			}
			val = dialogue.FormatValue(typ, v)
		case nil:
			val = o.Text
		default:
			raw, _ := json.Marshal(v)
			val = string(raw)
		}
		out = append(out, timelineFact{Fact: name, Value: clip(val, 120), Confidence: round2(o.Confidence), Stage: o.Source.Stage,
			StageVersion: o.StageVersion, Origin: origin})
	}
	return out
}

// timelineCrop is a picture a stage cut out of a customer's media to show where it read a fact.
type timelineCrop struct {
	Slot      string             `json:"slot"`
	URL       string             `json:"url"`
	Stage     string             `json:"stage"`
	Modality  string             `json:"modality"`
	MessageID string             `json:"message_id"`
	Text      string             `json:"text,omitempty"`
	Region    *perception.Region `json:"region,omitempty"`
}

// timelineView is the body of GET /v1/conversations/{id}/timeline.
type timelineView struct {
	ID      string          `json:"id"`
	Summary string          `json:"summary"`
	Points  []timelinePoint `json:"points"`
	// Crops are the stored crops behind the facts (the amount on a check, a display's code), by
	// slot, in message order.
	Crops   []timelineCrop `json:"crops"`
	Handoff *store.Handoff `json:"handoff,omitempty"`
	// Affect is the conversation's affect as stored now (with its high flags and since when).
	Affect dialogue.Affect `json:"affect"`
}

// handleTimeline serves GET /v1/conversations/{id}/timeline: frustration and confusion after each
// customer message with the cues that moved them, the reply style changes, the handoff point and
// a one-line summary for a person, all from the stored conversation and messages.
func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.store.Conversation(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.store.Messages(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var st dialogue.State
	if len(c.State) > 0 {
		if err := json.Unmarshal(c.State, &st); err != nil {
			s.fail(w, r, fmt.Errorf("decode state of %q: %w", id, err))
			return
		}
	}
	pack, _ := s.packs.Pack(c.Pack)
	v := buildTimeline(c, &st, msgs)
	if sr, ok := s.store.(store.StageResults); ok {
		if res, err := sr.StageResults(r.Context(), id); err == nil {
			addReplays(v, res)
		}
	}
	v.Summary = humanSummary(c, &st, pack, v.Points)
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, v)
	case "svg":
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, timelineChart(v).SVG())
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("format=%q: use json or svg", f)))
	}
}

// timelineChart draws frustration and confusion per customer message, with the handoff and the
// style changes marked.
func timelineChart(v *timelineView) chart.Line {
	l := chart.Line{ID: "emotion", Title: "Frustration and confusion", Step: time.Minute, Min: 0, Max: 1, Format: pct}
	fr, cf := chart.Series{Name: "frustration"}, chart.Series{Name: "confusion"}
	for i, p := range v.Points {
		l.X = append(l.X, p.At)
		fr.Values = append(fr.Values, f64(p.Frustration))
		cf.Values = append(cf.Values, f64(p.Confusion))
		if p.StyleChange != "" {
			l.Markers = append(l.Markers, chart.Marker{Index: i, Label: "style", Class: "style-change"})
		}
		if p.Handoff {
			l.Markers = append(l.Markers, chart.Marker{Index: i, Label: "handoff", Class: "handoff"})
		}
	}
	l.Series = []chart.Series{fr, cf}
	return l
}

// buildTimeline replays the affect fusion over the stored observations of each customer message,
// as the turn ran it (dialogue.State.UpdateAffect, or CalmTurn for a message without cues). The
// dialogue's own signals (a repeated question, a failed step) are not stored per message, so the
// replayed curve leaves them out; the stored affect and the reply styles include them.
func buildTimeline(c *store.Conversation, st *dialogue.State, msgs []*store.Message) *timelineView {
	v := &timelineView{ID: c.ID, Points: []timelinePoint{}, Crops: []timelineCrop{}, Handoff: c.Handoff, Affect: st.Affect}
	var replay dialogue.State
	var prev *dialogue.Style
	for _, m := range msgs {
		if m.Role != store.RoleCustomer {
			continue
		}
		var obs []perception.Observation
		if len(m.Observations) > 0 {
			_ = json.Unmarshal(m.Observations, &obs) // an unreadable record replays as a calm turn
		}
		for _, o := range obs {
			if o.Kind == perception.KindArtifact && o.Slot != "" && o.Attachment != nil && o.Attachment.URL != "" {
				v.Crops = append(v.Crops, timelineCrop{Slot: o.Slot, URL: o.Attachment.URL, Stage: o.Source.Stage,
					Modality: string(o.Source.Modality), MessageID: m.ID, Text: o.Text, Region: o.Source.Region})
			}
		}
		before := len(replay.Affect.Why)
		if dialogue.HasCue(obs) {
			replay.UpdateAffect(obs, false, false, m.CreatedAt)
		} else {
			replay.CalmTurn(m.CreatedAt)
		}
		p := timelinePoint{At: m.CreatedAt, MessageID: m.ID, Seq: m.Seq, Text: clip(m.Text, 120),
			Frustration: round2(replay.Affect.Frustration), Confusion: round2(replay.Affect.Confusion), Cues: []timelineCue{},
			Facts: messageFacts(obs, "turn")}
		if p.Facts == nil {
			p.Facts = []timelineFact{}
		}
		why := replay.Affect.Why
		for _, cause := range why[min(before, len(why)):] {
			p.Cues = append(p.Cues, timelineCue{Source: cause.Source, Modality: string(cause.Modality), Dimension: cause.Dimension, Value: cause.Value})
		}
		if len(m.Reply) > 0 {
			var rep dialogue.Reply
			if json.Unmarshal(m.Reply, &rep) == nil {
				p.Style = &rep.Style
				if prev != nil {
					p.StyleChange = styleChange(*prev, rep.Style)
				}
				prev = &rep.Style
			}
		}
		if c.Handoff != nil && !m.CreatedAt.After(c.Handoff.At) {
			for i := range v.Points {
				v.Points[i].Handoff = false
			}
			p.Handoff = true
		}
		v.Points = append(v.Points, p)
	}
	return v
}

// addReplays adds to each message the facts parley replay read in it later, oldest first.
func addReplays(v *timelineView, results []*store.StageResult) {
	at := map[string]int{}
	for i, p := range v.Points {
		at[p.MessageID] = i
	}
	for _, r := range results {
		i, ok := at[r.MessageID]
		if !ok || r.Origin != store.OriginReplay {
			continue
		}
		var obs []perception.Observation
		if json.Unmarshal(r.Observations, &obs) != nil {
			continue
		}
		for _, f := range messageFacts(obs, "replay") {
			if f.StageVersion == "" {
				f.StageVersion = r.StageVersion
			}
			v.Points[i].Facts = append(v.Points[i].Facts, f)
		}
	}
}

// styleChange says in words how the reply style moved from a to b; empty when it did not.
func styleChange(a, b dialogue.Style) string {
	var ch []string
	if b.RateWPM != a.RateWPM {
		if b.RateWPM < a.RateWPM {
			ch = append(ch, fmt.Sprintf("slower speech (%d wpm)", b.RateWPM))
		} else {
			ch = append(ch, fmt.Sprintf("normal pace (%d wpm)", b.RateWPM))
		}
	}
	if b.StepsPerMessage != a.StepsPerMessage {
		ch = append(ch, fmt.Sprintf("%d step(s) per message", b.StepsPerMessage))
	}
	if b.Simplified != a.Simplified {
		ch = append(ch, onOff(b.Simplified, "simpler words", "full wording"))
	}
	if b.VisualFirst != a.VisualFirst {
		ch = append(ch, onOff(b.VisualFirst, "pictures first", "text first"))
	}
	if b.OfferHuman != a.OfferHuman {
		ch = append(ch, onOff(b.OfferHuman, "offers a person", "stops offering a person"))
	}
	if len(ch) == 0 {
		return ""
	}
	s := strings.Join(ch, ", ")
	if b.Reason != "" {
		s += " (" + b.Reason + ")"
	}
	return s
}

func onOff(on bool, yes, no string) string {
	if on {
		return yes
	}
	return no
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// times renders a count in words: once, twice, 3 times.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

func clock(t time.Time) string { return t.UTC().Format("3:04 PM") + " UTC" }

// humanSummary is one line for the person taking over: the task with its key facts, how often the
// customer disputed a value, how they feel and since when, and where the conversation stands.
// "Customer wants to deposit a check for $206.00; disputed the amount twice; frustrated since
// 5:34 PM UTC."
func humanSummary(c *store.Conversation, st *dialogue.State, pack *kb.Pack, points []timelinePoint) string {
	var parts []string
	types := map[string]string{}
	title := ""
	if pack != nil && st.Skill != "" {
		if f := pack.Flows[st.Skill]; f != nil {
			title = f.Title
			for _, sp := range f.Slots {
				types[sp.Name] = sp.Type
			}
		}
	}
	names := make([]string, 0, len(st.Slots))
	for n, sl := range st.Slots {
		if sl != nil && sl.Value != nil {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		// Amounts first: they are what a person checks first.
		ai, aj := types[names[i]] == "amount", types[names[j]] == "amount"
		if ai != aj {
			return ai
		}
		return names[i] < names[j]
	})
	var facts []string
	for _, n := range names[:min(len(names), 2)] { // the two a person checks first
		sl := st.Slots[n]
		val := dialogue.FormatValue(types[n], sl.Value)
		if types[n] == "" {
			if _, ok := sl.Value.(float64); ok && n == "amount" {
				val = dialogue.FormatValue("amount", sl.Value)
			}
		}
		facts = append(facts, fmt.Sprintf("%s %s", strings.ReplaceAll(n, "_", " "), val))
	}
	switch {
	case title != "":
		s := "Customer wants to " + lowerFirst(title)
		if len(facts) > 0 {
			s += " (" + strings.Join(facts, ", ") + ")"
		}
		parts = append(parts, s)
	case len(facts) > 0:
		parts = append(parts, "Customer gave "+strings.Join(facts, ", "))
	case len(points) > 0 && points[0].Text != "":
		parts = append(parts, fmt.Sprintf("Customer wrote %q", clip(points[0].Text, 60)))
	default:
		parts = append(parts, "Customer has said nothing yet")
	}
	for _, n := range names {
		if d := disputes(st.Slots[n]); d > 0 {
			parts = append(parts, fmt.Sprintf("disputed the %s %s", strings.ReplaceAll(n, "_", " "), times(d)))
		}
	}
	a := st.Affect
	switch {
	case a.FrustrationHigh && a.ConfusionHigh && !a.HighSince.IsZero():
		parts = append(parts, "frustrated and confused since "+clock(a.HighSince))
	case a.FrustrationHigh && !a.HighSince.IsZero():
		parts = append(parts, "frustrated since "+clock(a.HighSince))
	case a.ConfusionHigh && !a.HighSince.IsZero():
		parts = append(parts, "confused since "+clock(a.HighSince))
	default:
		for _, p := range points {
			if p.Frustration >= 0.5 {
				parts = append(parts, "was frustrated at "+clock(p.At)+", calmer now")
				break
			}
		}
	}
	switch {
	case c.Handoff != nil && c.Handoff.Agent != "":
		parts = append(parts, "with "+c.Handoff.Agent+" since "+clock(c.Handoff.At))
	case c.Handoff != nil:
		parts = append(parts, "waiting for a person since "+clock(c.Handoff.At))
	case c.ResolvedAt != nil:
		parts = append(parts, "resolved in "+duration(c.ResolvedAt.Sub(c.CreatedAt).Seconds()))
	}
	if c.CSAT != nil {
		parts = append(parts, fmt.Sprintf("rated %d/5", c.CSAT.Score))
	}
	return strings.Join(parts, "; ") + "."
}

// disputes counts how often the customer contradicted a slot's value: evidence they typed or said
// that differs from the value known just before it ("no, it is ...").
func disputes(sl *dialogue.Slot) int {
	if sl == nil {
		return 0
	}
	n := 0
	prev := ""
	for _, ev := range sl.Evidence {
		cur := dialogue.Canonical(ev.Value)
		if cur == "" {
			continue
		}
		said := ev.Modality == media.ModText || ev.Modality == media.ModVoice
		if said && prev != "" && cur != prev {
			n++
		}
		prev = cur
	}
	return n
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
