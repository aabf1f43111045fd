package dialogue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

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
	MessageID    string
	Text         string
	Kinds        []media.Kind
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
		t.handoff("customer asked for a person")
		return
	}
	if t.quality() {
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

// quality reports an unreadable photo or one that is not a check, and stops the turn there.
func (t *turn) quality() bool {
	for _, o := range t.in.Observations {
		switch o.Kind {
		case perception.KindNotCheck:
			msg := o.Text
			if msg == "" {
				msg = "this does not look like a check"
			}
			t.say(capitalise(msg) + ". Please send a photo of the front of the check.")
			t.expect(perception.Expectation{Type: "image"})
			return true
		case perception.KindQuality:
			if o.Text != "" && !t.hasCheckFields() {
				t.say("I couldn't read that photo: " + o.Text + ". Please take it again.")
				t.expect(perception.Expectation{Type: "image"})
				return true
			}
		}
	}
	return false
}

func (t *turn) hasCheckFields() bool {
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindEntity && o.Source.Modality == media.ModImage && o.Slot == "amount" {
			return true
		}
	}
	return false
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
	return ""
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

// fuseSlots turns entity observations into evidence on the active flow's slots.
func (t *turn) fuseSlots() {
	st := t.st
	flow := t.pack.Flows[st.Skill]
	for _, o := range t.in.Observations {
		switch {
		case flow != nil && flow.Upload != nil && o.Kind == flow.Upload.Observation:
			st.Signals["uploaded"] = 1
			t.doubts = append(t.doubts, doubts(o.Value)...)
		case o.Kind == perception.KindEntity:
			name, value := t.slotFor(flow, o)
			if name == "" {
				continue
			}
			t.evidence(name, value, o, "observed")
		}
	}
	// Choices and product names said in so many words fill their slots.
	if flow != nil {
		if txt := " " + Canonical(wordsOnly(t.customerText())) + " "; strings.TrimSpace(txt) != "" {
			for _, s := range flow.Slots {
				if (s.Type != "choice" && s.Type != "product") || st.Has(s.Name) {
					continue
				}
				if c := t.choiceIn(txt, s); c != "" {
					t.evidence(s.Name, c, perception.Observation{Confidence: 0.85, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.textModality(), Stage: "dialogue.choice"}}, "observed")
				}
			}
		}
	}
	// Free text answers the slot the dialogue asked for.
	if flow != nil && st.Expect.Type == "text" && st.Expect.Slot != "" && t.answer == "" {
		if txt := strings.TrimSpace(t.customerText()); txt != "" && !st.Has(st.Expect.Slot) {
			t.evidence(st.Expect.Slot, txt, perception.Observation{Confidence: 0.8, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.textModality(), Stage: "dialogue.free_text"}}, "observed")
		}
	}
	if flow != nil {
		for _, s := range flow.Slots {
			if s.Default != "" && !st.Has(s.Name) {
				t.evidence(s.Name, s.Default, perception.Observation{Confidence: 0.6, Source: perception.Source{Stage: "pack.default", Modality: media.ModText}}, "default")
			}
		}
	}
}

func (t *turn) textModality() media.Modality {
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindTranscript {
			return o.Source.Modality
		}
	}
	return media.ModText
}

// slotFor maps an entity observation to a slot of the flow and its value.
func (t *turn) slotFor(flow *kb.Flow, o perception.Observation) (string, any) {
	if flow == nil {
		return "", nil
	}
	value := o.Value
	if o.Slot == "choice" || o.Slot == "product" {
		for _, s := range flow.Slots {
			if s.Type == "choice" || s.Type == "product" {
				if c := matchChoice(s.Choices, fmt.Sprint(value), t.pack); c != "" && (o.Slot == s.Type || o.Slot == "choice") {
					return s.Name, c
				}
			}
		}
		return "", nil
	}
	if s := flow.Slot(o.Slot); s != nil {
		return s.Name, t.preferAlternative(s.Name, o)
	}
	// An entity whose type a slot wants (a bare "card" number for a digits slot).
	for _, s := range flow.Slots {
		if s.Type == o.Slot && t.st.Expect.Slot == s.Name {
			return s.Name, value
		}
		if s.Type == "digits" && (o.Slot == "card" || o.Slot == "account" || o.Slot == "digits") && t.st.Expect.Slot == s.Name {
			return s.Name, lastDigits(fmt.Sprint(value), 4)
		}
	}
	return "", nil
}

// preferAlternative picks, among an observation's readings, the one that agrees with what the slot
// already holds ("twelve fifty" is 1250.00 next to a check for $1,250.00, 12.50 otherwise).
func (t *turn) preferAlternative(slot string, o perception.Observation) any {
	sl := t.st.Slots[slot]
	if sl == nil || sl.Value == nil || Same(sl.Value, o.Value) {
		return o.Value
	}
	for _, a := range o.Alts {
		if Same(a.Value, sl.Value) {
			return a.Value
		}
	}
	return o.Value
}

func (t *turn) evidence(slot string, value any, o perception.Observation, kind string) {
	ev := Evidence{
		Value: value, Modality: o.Source.Modality, Stage: o.Source.Stage, Confidence: o.Confidence,
		MessageID: o.Source.MessageID, Kind: kind, Region: o.Source.Region, At: t.now,
	}
	if ev.MessageID == "" {
		ev.MessageID = t.in.MessageID
	}
	if kind == "observed" && !slices.Contains(t.noted, slot) {
		t.noted = append(t.noted, slot)
	}
	if t.st.AddEvidence(slot, ev) {
		t.out.Events = append(t.out.Events, Event{Type: "slot", Data: map[string]any{"name": slot, "slot": t.st.Slots[slot]}})
	}
}

// advance moves the active flow forward and says what comes next.
func (t *turn) advance() {
	st := t.st
	flow := t.pack.Flows[st.Skill]
	if flow == nil {
		st.Skill = ""
		t.openQuestion()
		return
	}
	// 1. Disagreements first, with one targeted question.
	for _, s := range flow.Slots {
		if st.Status(s.Name) == Conflict {
			t.askConflict(s)
			return
		}
	}
	// 2. The confirmation the customer is answering.
	if st.Step == "confirm" && t.answer != "" {
		if t.answer == "no" {
			st.Step = "correct"
			t.say(t.simple("Sorry about that. Which detail is wrong? Tell me the right value.", "Sorry. What is wrong? Tell me the right value."))
			t.expect(perception.Expectation{Type: "text"})
			return
		}
		t.confirmAll(flow)
	}
	if st.Step == "guide" && t.answer != "" {
		t.guideAnswer(flow)
		return
	}
	// 3. A file the flow needs.
	if flow.Upload != nil && st.Signals["uploaded"] == 0 {
		st.Step = "upload"
		t.acknowledge(flow)
		t.say(t.simple(flow.Upload.Prompt, flow.Upload.Simple))
		// While the customer finds the document they may say what is on it: listen for that.
		x := perception.Expectation{Type: flow.Upload.Kind}
		for _, s := range flow.Slots {
			if s.Required && !st.Has(s.Name) {
				x = perception.Expectation{Slot: s.Name, Type: expectType(s.Type), Choices: s.Choices}
				break
			}
		}
		t.expect(x)
		return
	}
	// 4. Missing required facts, one question at a time.
	for _, s := range flow.Slots {
		if s.Required && !st.Has(s.Name) {
			st.Step = "slot:" + s.Name
			t.acknowledge(flow)
			t.say(t.simple(s.Prompt, s.Simple))
			t.expect(perception.Expectation{Slot: s.Name, Type: expectType(s.Type), Choices: s.Choices})
			return
		}
	}
	// 5. Read back and wait for a yes.
	if flow.Confirm != nil && !t.allConfirmed(flow) {
		st.Step = "confirm"
		t.say(t.fillFlow(flow, flow.Confirm.Prompt))
		if len(t.doubts) > 0 {
			t.say("Before you confirm, please check: " + strings.Join(t.doubts, "; ") + ". If something is wrong, send a new photo or tell me the right value.")
		}
		if c := t.crops["amount"]; c != nil {
			t.parts = append(t.parts, Part{Type: "image", Title: "Amount on the check", MIME: c.ContentType, Data: c.Data, URL: c.URL})
		}
		t.expect(perception.Expectation{Type: "yesno"})
		return
	}
	switch {
	case flow.Guide != "":
		t.guide(flow)
	case flow.Diagnose:
		t.diagnose(flow)
	default:
		t.finish(flow)
	}
}

// doubts reads the verification of a document reading (any value with a "verification" list of
// name, status and detail) and returns what did not pass, in words.
func doubts(v any) []string {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var r struct {
		Verification []struct {
			Name, Status, Detail string
		} `json:"verification"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return nil
	}
	var out []string
	for _, c := range r.Verification {
		if c.Status != "pass" && c.Detail != "" {
			out = append(out, c.Detail)
		}
	}
	return out
}

// acknowledge repeats back what the customer just told, before the next question.
func (t *turn) acknowledge(flow *kb.Flow) {
	var got []string
	for _, name := range t.noted {
		if s := flow.Slot(name); s != nil && t.st.Has(name) {
			got = append(got, strings.ReplaceAll(name, "_", " ")+" "+FormatValue(s.Type, t.st.Value(name)))
		}
	}
	if len(got) > 0 {
		t.say("Got it: " + strings.Join(got, ", ") + ".")
	}
}

func (t *turn) allConfirmed(flow *kb.Flow) bool {
	for _, name := range flow.Confirm.Slots {
		if t.st.Has(name) && t.st.Status(name) != Confirmed {
			return false
		}
	}
	return true
}

// confirmAll records the customer's yes as confirming every read-back slot.
func (t *turn) confirmAll(flow *kb.Flow) {
	if flow.Confirm == nil {
		return
	}
	for _, name := range flow.Confirm.Slots {
		if !t.st.Has(name) || t.st.Status(name) == Conflict {
			continue
		}
		o := perception.Observation{Confidence: 0.95, Source: perception.Source{MessageID: t.in.MessageID, Modality: t.answerM, Stage: "dialogue.confirmation"}}
		t.evidence(name, t.st.Value(name), o, "confirmation")
	}
}

func (t *turn) askConflict(s kb.SlotSpec) {
	st := t.st
	st.Step = "conflict:" + s.Name
	sl := st.Slots[s.Name]
	var readings []string
	for _, evs := range sl.readings() {
		mods := map[media.Modality]bool{}
		for _, ev := range evs {
			mods[ev.Modality] = true
		}
		readings = append(readings, fmt.Sprintf("%s (%s)", FormatValue(s.Type, evs[0].Value), source(mods)))
	}
	sort.Strings(readings)
	t.say(fmt.Sprintf("I have two different values for the %s: %s. Which one is right?", strings.ReplaceAll(s.Name, "_", " "), strings.Join(readings, " and ")))
	if c := t.crops[s.Name]; c != nil {
		t.parts = append(t.parts, Part{Type: "image", Title: "The " + s.Name + " on the check", MIME: c.ContentType, Data: c.Data, URL: c.URL})
	}
	t.expect(perception.Expectation{Slot: s.Name, Type: expectType(s.Type)})
}

func source(mods map[media.Modality]bool) string {
	var names []string
	for m := range mods {
		switch m {
		case media.ModImage:
			names = append(names, "on the photo")
		case media.ModVoice:
			names = append(names, "what I heard")
		case media.ModVideo:
			names = append(names, "in the video")
		default:
			names = append(names, "what you wrote")
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// finish runs the flow's action and says it is done.
func (t *turn) finish(flow *kb.Flow) {
	st := t.st
	if flow.Action != nil {
		params := map[string]any{}
		evidence := map[string][]Evidence{}
		for _, s := range flow.Slots {
			if st.Has(s.Name) {
				params[s.Name] = st.Value(s.Name)
				evidence[s.Name] = st.Slots[s.Name].Evidence
			}
		}
		if flow.Action.Webhook != "" {
			params["webhook"] = flow.Action.Webhook
		}
		a := Action{Type: flow.Action.Type, Params: params, Evidence: evidence, Status: "done", At: t.now}
		st.Actions = append(st.Actions, a)
		t.out.Actions = append(t.out.Actions, a)
		t.out.Events = append(t.out.Events, Event{Type: "action", Data: a})
		t.parts = append(t.parts, Part{Type: "action", Text: a.Type, Title: flow.Title})
		if flow.Action.Type == "parts_link" {
			t.partsLink(t.productKind(), nil)
		}
	}
	st.Step, st.Resolved = "done", true
	st.Expect = perception.Expectation{Pack: st.Pack}
	t.say(t.fillFlow(flow, flow.Done))
}

func (t *turn) fillFlow(flow *kb.Flow, tmpl string) string {
	return fill(tmpl, func(name string) string {
		if s := flow.Slot(name); s != nil {
			return FormatValue(s.Type, t.st.Value(name))
		}
		if name == "balance" {
			return t.pack.Settings["balance_"+Canonical(t.st.Value("account_type"))]
		}
		return t.pack.Settings[name]
	})
}

// guide presents the next steps of a troubleshooting guide.
func (t *turn) guide(flow *kb.Flow) {
	st := t.st
	g := t.pack.Guides[flow.Guide]
	if st.StepIndex >= len(g.Steps) {
		t.exhausted(flow)
		return
	}
	st.Step = "guide"
	n := max(1, t.style.StepsPerMessage)
	end := min(len(g.Steps), st.StepIndex+n)
	for i := st.StepIndex; i < end; i++ {
		s := g.Steps[i]
		text := s.Text
		if t.style.Simplified && s.Simple != "" {
			text = s.Simple
		}
		t.say(fmt.Sprintf("Step %d: %s", i+1, text))
		if s.Image != "" && (t.style.VisualFirst || i == st.StepIndex || !t.style.Simplified) {
			t.parts = append(t.parts, Part{Type: "image", Title: fmt.Sprintf("Step %d", i+1), URL: assetURL(st.Pack, s.Image), MIME: "image/svg+xml"})
		}
	}
	st.Signals["shown_until"] = end
	t.say(t.simple("Did that fix it?", "Is it working now?"))
	t.expect(perception.Expectation{Type: "yesno"})
}

func (t *turn) guideAnswer(flow *kb.Flow) {
	st := t.st
	if t.answer == "yes" {
		st.Step, st.Resolved = "done", true
		st.Expect = perception.Expectation{Pack: st.Pack}
		t.say(t.fillFlow(flow, flow.Done))
		return
	}
	st.Signals["failed_steps"]++
	st.StepIndex = max(st.StepIndex+1, st.Signals["shown_until"])
	t.say(t.simple("OK, let's try the next thing.", "OK. Next step."))
	t.guide(flow)
}

func (t *turn) exhausted(flow *kb.Flow) {
	msg := flow.Exhausted
	if msg == "" {
		msg = "We've tried everything I know."
	}
	t.say(msg)
	t.handoff("guide exhausted: " + flow.Title)
}

// handoff puts the conversation in the human queue with a summary.
func (t *turn) handoff(why string) {
	st := t.st
	st.Handoff = true
	sum := Summary(st, t.pack)
	t.out.Handoff = &HandoffRequest{Reason: why, Summary: sum}
	t.out.Events = append(t.out.Events, Event{Type: "handoff", Data: t.out.Handoff})
	t.say("I'm connecting you with a person now. They'll see everything we've covered, so you won't need to repeat yourself.")
	t.parts = append(t.parts, Part{Type: "action", Text: "handoff", Title: "Waiting for a person"})
	st.Expect = perception.Expectation{Pack: st.Pack}
}

// Summary describes what the conversation knows, for the person taking over.
func Summary(st *State, pack *kb.Pack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pack %s.", st.Pack)
	if st.Skill != "" {
		title := st.Skill
		if f := pack.Flows[st.Skill]; f != nil && f.Title != "" {
			title = f.Title
		}
		fmt.Fprintf(&b, " Task: %s (step %s).", title, orDash(st.Step))
	}
	names := make([]string, 0, len(st.Slots))
	for n := range st.Slots {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sl := st.Slots[n]
		if sl.Value == nil {
			continue
		}
		mods := map[media.Modality]bool{}
		for _, ev := range sl.Evidence {
			mods[ev.Modality] = true
		}
		var ms []string
		for m := range mods {
			ms = append(ms, string(m))
		}
		sort.Strings(ms)
		fmt.Fprintf(&b, " %s: %v (%s; %s).", n, sl.Value, sl.Status, strings.Join(ms, "+"))
	}
	fmt.Fprintf(&b, " Frustration %.2f, confusion %.2f.", st.Affect.Frustration, st.Affect.Confusion)
	if len(st.LastTexts) > 0 {
		fmt.Fprintf(&b, " Last customer words: %q.", st.LastTexts[len(st.LastTexts)-1])
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
		ans, err := t.e.Reasoner.Respond(t.ctx, reason.Query{Pack: t.st.Pack, Text: text})
		t.out.Events = append(t.out.Events, Event{Type: "reasoning", Data: ans})
		if err == nil && ans.Confident {
			t.say(ans.Text)
			if ans.SourceID != "" {
				t.parts = append(t.parts, Part{Type: "link", Title: "Source: " + ans.Source, URL: "/v1/packs/" + t.st.Pack + "/articles/" + ans.SourceID})
			}
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

func matchChoice(choices []string, v string, pack *kb.Pack) string {
	cv := Canonical(v)
	for _, c := range choices {
		cc := Canonical(c)
		if cc == cv || strings.HasPrefix(cc, cv+" ") || strings.Contains(cv, cc) {
			return c
		}
	}
	if p, ok := pack.Product(v); ok {
		for _, c := range choices {
			if Canonical(c) == Canonical(p.Name) {
				return c
			}
		}
	}
	return ""
}

// choiceIn finds one of a slot's choices, or a product alias, among the words of txt (which is
// canonical and padded with spaces).
func (t *turn) choiceIn(txt string, s kb.SlotSpec) string {
	for _, c := range s.Choices {
		if strings.Contains(txt, " "+Canonical(c)+" ") {
			return c
		}
	}
	if s.Type != "product" {
		return ""
	}
	for _, p := range t.pack.Products {
		for _, a := range append([]string{p.Name, p.ID}, p.Aliases...) {
			if strings.Contains(txt, " "+Canonical(wordsOnly(a))+" ") {
				if c := matchChoice(s.Choices, p.Name, t.pack); c != "" {
					return c
				}
			}
		}
	}
	return ""
}

// wordsOnly replaces punctuation with spaces.
func wordsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			return r
		}
		return ' '
	}, s)
}

func lastDigits(s string, n int) string {
	var d []rune
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, r)
		}
	}
	if len(d) > n {
		d = d[len(d)-n:]
	}
	return string(d)
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
