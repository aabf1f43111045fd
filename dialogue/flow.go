package dialogue

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

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
			// the right value may be a bare spoken number: listen for an amount when one was read back
			t.expect(perception.Expectation{Type: "text", Slot: confirmExpectation(flow).Slot})
			return
		}
		if !t.confirmYes(flow) {
			return
		}
	}
	if strings.HasPrefix(st.Step, "verify:") && !t.verifyAnswer(flow, strings.TrimPrefix(st.Step, "verify:")) {
		return
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
			if s.Type == "error_code" && t.sentVideo() {
				// never invite a video of the display the customer just sent
				t.say("I watched your video but couldn't read an error code on the display.")
				t.say(t.simple("Which letters and numbers does the display show (for example E21)?", s.Simple))
				t.expect(perception.Expectation{Slot: s.Name, Type: expectType(s.Type), Choices: s.Choices})
				return
			}
			t.say(t.simple(s.Prompt, s.Simple))
			t.expect(perception.Expectation{Slot: s.Name, Type: expectType(s.Type), Choices: s.Choices})
			return
		}
	}
	// 5. A value read from a document with low confidence is asked about on its own, not slipped
	// into the read-back for one yes to cover.
	if flow.Confirm != nil {
		for _, name := range flow.Confirm.Slots {
			if t.doubtful(flow, name) {
				t.verify(flow, name)
				return
			}
		}
	}
	// 6. Read back and wait for a yes.
	if flow.Confirm != nil && !t.allConfirmed(flow) {
		t.readBack(flow)
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
	if st.StepIndex == 0 && st.Step != "guide" {
		t.lightsDiagnosis()
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
