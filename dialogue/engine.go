package dialogue

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/reason"
)

// Engine runs one conversation turn: fusion, flow policy, adaptation, reply.
type Engine struct {
	Packs    *kb.Library
	Reasoner reason.Reasoner
	Now      func() time.Time
	// MinIntent is the confidence an intent needs to start a flow.
	MinIntent float64
}

// Event is something that happened in a turn, pushed to clients and stored.
type Event struct {
	Type string `json:"type"` // observation, slot, affect, reply, handoff, action, skill
	Data any    `json:"data"`
}

// Input is one customer message as perception saw it.
type Input struct {
	MessageID string
	Text      string
	Kinds     []media.Kind
	// Modalities parallels Kinds: a still photo is an image of modality image, a video frame an
	// image of modality video.
	Modalities   []media.Modality
	Observations []perception.Observation
}

// Outcome is what a turn produced.
type Outcome struct {
	Reply   Reply
	Events  []Event
	Actions []Action
	// Handoff is set when the conversation must go to a person; it holds the summary.
	Handoff *HandoffRequest
}

// HandoffRequest asks for a person, with everything already known.
type HandoffRequest struct {
	Reason  string `json:"reason"`
	Summary string `json:"summary"`
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// turn carries the working data of one Turn call.
type turn struct {
	e       *Engine
	ctx     context.Context
	st      *State
	pack    *kb.Pack
	in      Input
	now     time.Time
	out     Outcome
	parts   []Part
	style   Style
	intent  string
	conf    float64
	answer  string // yes, no or ""
	answerM media.Modality
	crops   map[string]*perception.Attachment
	// noted lists the slots this message gave a value, to acknowledge them.
	noted []string
	// empathy acknowledges frustration or confusion the moment it is noticed.
	empathy string
	// doubts are the verification checks of a document that did not pass, in words.
	doubts []string
}

// Observe fuses observations that come without a customer message (live camera frames) and
// returns the events they caused. It never replies.
func (e *Engine) Observe(st *State, obs []perception.Observation) []Event {
	now := e.now()
	var evs []Event
	if st.UpdateAffect(obs, false, false, now) {
		evs = append(evs, Event{Type: "affect", Data: e.affectData(st, now)})
	} else if HasCue(obs) {
		evs = append(evs, Event{Type: "affect", Data: e.affectData(st, now)})
	}
	st.UpdatedAt = now
	return evs
}

func (e *Engine) affectData(st *State, now time.Time) map[string]any {
	return map[string]any{"affect": st.Affect, "style": StyleFor(st.Affect, st.Signals["turns_high"], now)}
}

// Turn processes one customer message and decides the reply.
func (e *Engine) Turn(ctx context.Context, st *State, in Input) (Outcome, error) {
	pack, err := e.Packs.Pack(st.Pack)
	if err != nil {
		return Outcome{}, err
	}
	t := &turn{e: e, ctx: ctx, st: st, pack: pack, in: in, now: e.now(), crops: map[string]*perception.Attachment{}}
	if st.Slots == nil {
		st.Slots = map[string]*Slot{}
	}
	if st.Signals == nil {
		st.Signals = map[string]int{}
	}
	st.Turns++
	t.perceive()
	t.respond()
	if t.empathy != "" && !st.Handoff {
		t.parts = append([]Part{{Type: "text", Text: t.empathy}}, t.parts...)
	}
	if t.style.OfferHuman && !st.Handoff && t.out.Handoff == nil {
		t.say("If you'd rather, I can connect you with a person right now — just say \"agent\".")
		t.parts = append(t.parts, Part{Type: "action", Text: "offer_human", Title: "Talk to a person"})
	}
	t.out.Reply = Reply{Parts: t.ordered(), Style: t.style}
	t.out.Events = append(t.out.Events, Event{Type: "reply", Data: t.out.Reply})
	st.UpdatedAt = t.now
	return t.out, nil
}

// perceive folds the observations into the state.
func (t *turn) perceive() {
	st := t.st
	obs := t.in.Observations
	for _, o := range obs {
		t.out.Events = append(t.out.Events, Event{Type: "observation", Data: o})
	}
	// Dialogue signals: repeating a message is a sign of confusion.
	text := t.customerText()
	repeated := false
	if norm := Canonical(text); norm != "" {
		for _, prev := range st.LastTexts {
			if prev == norm {
				repeated = true
				st.Signals["repeats"]++
			}
		}
		st.LastTexts = append(st.LastTexts, norm)
		if len(st.LastTexts) > 6 {
			st.LastTexts = st.LastTexts[1:]
		}
	}
	for _, o := range obs {
		switch o.Kind {
		case perception.KindIntent:
			name, _ := o.Value.(string)
			if o.Confidence > t.conf && name != "" {
				t.intent, t.conf = name, o.Confidence
			}
		case perception.KindAnswer:
			if v, _ := o.Value.(string); v == "yes" || v == "no" {
				t.answer, t.answerM = v, o.Source.Modality
			}
		case perception.KindArtifact:
			if o.Attachment != nil {
				t.crops[strings.TrimSuffix(o.Attachment.Name, ".png")] = o.Attachment
			}
		}
	}
	failed := t.answer == "no" && st.Step == "guide" && st.Signals["failed_steps"]+1 >= 2
	wasF, wasC := st.Affect.FrustrationHigh, st.Affect.ConfusionHigh
	changed := st.UpdateAffect(obs, repeated, failed, t.now)
	if !HasCue(obs) && !repeated && !failed && text != "" {
		changed = st.CalmTurn(t.now) || changed
	}
	switch {
	case st.Affect.FrustrationHigh && !wasF:
		t.empathy = "I'm sorry this has been frustrating. Let's take it one small step at a time."
	case st.Affect.ConfusionHigh && !wasC:
		t.empathy = "Sorry, that wasn't clear. Let me put it more simply."
	}
	if st.Affect.FrustrationHigh {
		st.Signals["turns_high"]++
	} else {
		st.Signals["turns_high"] = 0
	}
	t.style = StyleFor(st.Affect, st.Signals["turns_high"], t.now)
	if changed || HasCue(obs) || repeated {
		t.out.Events = append(t.out.Events, Event{Type: "affect", Data: t.e.affectData(st, t.now)})
	}
}

func (t *turn) customerText() string {
	var b []string
	if s := strings.TrimSpace(t.in.Text); s != "" {
		b = append(b, s)
	}
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindTranscript {
			if s, ok := o.Value.(string); ok && strings.TrimSpace(s) != "" {
				b = append(b, s)
			}
		}
	}
	return strings.Join(b, " ")
}

// respond chooses what to do next.
func (t *turn) respond() {
	st, pack := t.st, t.pack
	in := pack.Intents[t.intent]
	minIntent := t.e.MinIntent
	if minIntent == 0 {
		minIntent = 0.45
	}
	strong := t.conf >= minIntent && t.intent != "oos" && t.intent != ""
	if strong && in.Handoff {
		if t.clearRequest() {
			t.handoff("customer asked for a person")
		} else {
			t.askHandoff()
		}
		return
	}
	if st.Pending == "handoff" && t.pendingHandoff() {
		return
	}
	if t.quality() {
		return
	}
	if t.unreadPhoto() {
		return
	}
	// Start or switch flows. A message that answers what the dialogue waits for keeps the flow.
	if flow := t.flowFromMessage(strong, in); flow != "" && flow != st.Skill {
		t.startFlow(flow)
	}
	t.fuseSlots()
	if st.Skill == "" || st.Step == "done" {
		switch {
		case strong && in.Reply != "":
			t.say(in.Reply)
		case strong && in.Article != "":
			t.article(in.Article)
		case t.customerText() == "" && t.sentVideo() && t.diagnoseFlow() != "":
			// a video that showed no known product or fault: ask for what it should have shown
			t.startFlow(t.diagnoseFlow())
			t.advance()
		case t.customerText() == "" && len(t.in.Kinds) > 0:
			t.say("Thanks, I've got your file. " + t.capabilities())
		default:
			t.openQuestion()
		}
		return
	}
	// A question on the side (opening hours in the middle of a deposit) is answered, and the flow
	// picks up where it was.
	if strong && t.answer == "" && !t.fillsExpected() {
		switch {
		case in.Reply != "":
			t.say(in.Reply)
		case in.Article != "":
			t.article(in.Article)
		}
	}
	t.advance()
}

// flowFromMessage returns the flow the message asks for, if any.
func (t *turn) flowFromMessage(strong bool, in kb.Intent) string {
	st := t.st
	waiting := st.Skill != "" && st.Step != "done" && (t.answer != "" || t.fillsExpected())
	if strong && in.Flow != "" {
		if st.Skill == "" || st.Step == "done" || (!waiting && t.conf >= 0.7) {
			return in.Flow
		}
	}
	if st.Skill != "" && st.Step != "done" {
		return ""
	}
	for _, o := range t.in.Observations {
		for name, f := range t.pack.Flows {
			if f.Upload != nil && o.Kind == f.Upload.Observation {
				return name
			}
			if f.Diagnose && o.Kind == perception.KindEntity && o.Slot == "error_code" {
				return name
			}
		}
	}
	return t.lightsFlow()
}

func (t *turn) fillsExpected() bool {
	slot := t.st.Expect.Slot
	if slot == "" {
		return false
	}
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindEntity && (o.Slot == slot || o.Slot == "choice" || o.Slot == t.st.Expect.Type) {
			return true
		}
	}
	return t.st.Expect.Type == "text" && strings.TrimSpace(t.customerText()) != ""
}

func (t *turn) startFlow(name string) {
	st := t.st
	prev := st.Skill
	st.Skill, st.Step, st.StepIndex, st.Resolved = name, "", 0, false
	st.Slots = map[string]*Slot{}
	st.Signals["failed_steps"] = 0
	st.Signals["uploaded"] = 0
	t.out.Events = append(t.out.Events, Event{Type: "skill", Data: map[string]string{"from": prev, "to": name}})
	if f := t.pack.Flows[name]; f != nil && f.Intro != "" {
		t.say(f.Intro)
	}
}

// article answers with a pack article.
func (t *turn) article(id string) {
	a, ok := t.pack.Article(id)
	if !ok {
		t.openQuestion()
		return
	}
	t.say(a.Body)
	t.parts = append(t.parts, Part{Type: "link", Title: "Source: " + a.Title, URL: "/v1/packs/" + t.st.Pack + "/articles/" + a.ID})
}

// openQuestion asks the reasoner, and otherwise says what Parley can do.
func (t *turn) openQuestion() {
	text := t.customerText()
	if text != "" && t.e.Reasoner != nil {
		ans, err := t.e.Reasoner.Respond(t.ctx, t.query(text))
		t.out.Events = append(t.out.Events, Event{Type: "reasoning", Data: ans})
		if err == nil && ans.Confident {
			t.say(ans.Text)
			if ans.SourceID != "" {
				t.parts = append(t.parts, Part{Type: "link", Title: "Source: " + ans.Source, URL: "/v1/packs/" + t.st.Pack + "/articles/" + ans.SourceID})
			}
			t.actOn(ans.Actions)
			return
		}
	}
	if t.st.Turns <= 1 && t.pack.Greeting != "" && text == "" {
		t.say(t.pack.Greeting)
		return
	}
	t.say("I'm not sure I understood. " + t.capabilities())
}

func (t *turn) capabilities() string {
	var titles []string
	for _, f := range t.pack.Flows {
		if f.Title != "" {
			titles = append(titles, strings.ToLower(f.Title))
		}
	}
	sort.Strings(titles)
	return "I can help with: " + strings.Join(titles, ", ") + " — or connect you with a person."
}

func (t *turn) say(s string) {
	if s = strings.TrimSpace(s); s != "" {
		t.parts = append(t.parts, Part{Type: "text", Text: s})
	}
}

func (t *turn) simple(normal, simple string) string {
	if t.style.Simplified && simple != "" {
		return simple
	}
	return normal
}

func (t *turn) expect(x perception.Expectation) {
	x.Pack = t.st.Pack
	for name := range t.pack.Intents {
		x.Intents = append(x.Intents, name)
	}
	sort.Strings(x.Intents)
	x.Vocabulary = t.e.Packs.Vocabulary(t.st.Pack)
	t.st.Expect = x
	for i := len(t.parts) - 1; i >= 0; i-- {
		if t.parts[i].Type == "text" {
			t.st.Asked = t.parts[i].Text
			break
		}
	}
}

// ordered puts pictures first for a customer who needs visual guidance.
func (t *turn) ordered() []Part {
	if !t.style.VisualFirst {
		return t.parts
	}
	var vis, rest []Part
	for _, p := range t.parts {
		if p.Type == "image" {
			vis = append(vis, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(vis, rest...)
}

func expectType(slotType string) string {
	switch slotType {
	case "amount", "date", "digits", "choice":
		return slotType
	case "product":
		return "choice"
	case "error_code":
		return "error_code"
	case "account":
		return "digits"
	}
	return "text"
}

func assetURL(pack, name string) string { return "/v1/packs/" + pack + "/assets/" + name }

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func errorCodeExpectation() perception.Expectation {
	return perception.Expectation{Slot: "error_code", Type: "error_code"}
}

func emptyExpectation(pack string) perception.Expectation { return perception.Expectation{Pack: pack} }
