package dialogue_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/lights"
)

// frameCode is the display reader's error_code reading of one video frame.
func frameCode(code string, conf float64, at time.Duration) perception.Observation {
	return perception.Observation{Kind: perception.KindEntity, Slot: "error_code", Value: code, Confidence: conf,
		Source: perception.Source{Modality: media.ModVideo, Stage: "image.display", Part: 1, Start: at, Region: &perception.Region{X: 10, Y: 10, W: 100, H: 40}}}
}

func TestRankCauses(t *testing.T) {
	f := kb.Fault{Code: "F05", Causes: []kb.Cause{
		{ID: "lock", Text: "lock failed", Prior: 0.6, Sounds: []string{"beeping"}},
		{ID: "seal", Text: "clothing in the seal", Prior: 0.3, Check: "seal_clear", Words: []string{"caught"}},
		{ID: "hinge", Text: "hinge bent", Prior: 0.1},
	}}
	for _, c := range []struct {
		name     string
		words    string
		findings []dialogue.Finding
		checks   map[string]string
		top      string
	}{
		{"priors alone", "", nil, nil, "lock"},
		{"words point to the seal", "I think a sock got caught", nil, nil, "seal"},
		{"a yes to the check", "", nil, map[string]string{"seal_clear": "yes"}, "seal"},
		{"a no to the check", "a sock got caught", nil, map[string]string{"seal_clear": "no"}, "lock"},
		{"beeping heard", "caught", []dialogue.Finding{{Kind: "sound", Name: "beeping"}}, nil, "lock"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := dialogue.RankCauses(f, c.words, c.findings, c.checks)
			sum := 0.0
			for _, x := range r {
				sum += x.Likelihood
			}
			if r[0].Cause.ID != c.top || sum < 0.999 || sum > 1.001 {
				t.Fatalf("ranked %+v", r)
			}
		})
	}
}

func TestVideoCodeIsVotedAcrossFramesAndDiagnosed(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("appliances")
	obs := []perception.Observation{
		frameCode("F05", 0.9, 500*time.Millisecond), frameCode("F05", 0.95, time.Second),
		frameCode("E05", 0.3, 1500*time.Millisecond), frameCode("F05", 0.9, 2*time.Second),
	}
	out, err := e.Turn(context.Background(), st, dialogue.Input{MessageID: "m1", Observations: obs})
	if err != nil {
		t.Fatal(err)
	}
	sl := st.Slots["error_code"]
	if sl == nil || sl.Value != "F05" || len(sl.Evidence) != 1 {
		t.Fatalf("error_code %+v", sl)
	}
	ev := sl.Evidence[0]
	if ev.Modality != media.ModVideo || ev.Stage != "image.display" || ev.FrameMS != 1000 || ev.Confidence < 0.8 {
		t.Fatalf("evidence %+v", ev)
	}
	// F05 is a washer code: the product follows from it.
	if st.Value("product") != "washing machine" || !st.Resolved {
		t.Fatalf("product %v resolved %v: %q", st.Value("product"), st.Resolved, out.Reply.Text())
	}
	var kinds []string
	for _, p := range out.Reply.Parts {
		if p.Type != "text" && p.Type != "image" {
			kinds = append(kinds, p.Type)
		}
	}
	if strings.Join(kinds[:3], ",") != "document,document,link" || !strings.HasPrefix(out.Reply.Parts[len(out.Reply.Parts)-1].Text, "Here is") {
		t.Fatalf("parts %v: %q", kinds, out.Reply.Text())
	}
	a := st.Actions[len(st.Actions)-1]
	if a.Type != "diagnosis" || a.Params["timings_ms"] == nil || st.DiagnosedAt.IsZero() {
		t.Fatalf("action %+v", a)
	}
}

func TestCloseCausesAskOneCheck(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("appliances")
	// E10: the tap (0.45) and the inlet filter (0.35) stay close.
	out := turn(t, e, st, intent("fault", 0.9, media.ModText), entity("product", "washer", media.ModText), frameCode("E10", 0.9, time.Second))
	if st.Step != "check:tap_open" || !strings.Contains(out.Reply.Text(), "tap") || st.Resolved {
		t.Fatalf("step %q: %q", st.Step, out.Reply.Text())
	}
	out = turn(t, e, st, answer("no", media.ModText))
	if !st.Resolved || st.Checks["tap_open"] != "no" {
		t.Fatalf("after the answer: step %q checks %v: %q", st.Step, st.Checks, out.Reply.Text())
	}
	if !strings.Contains(out.Reply.Text(), "mesh filter") {
		t.Fatalf("a no to the tap check should make the filter likeliest: %q", out.Reply.Text())
	}
}

func TestRouterLightsDiagnoseTheFault(t *testing.T) {
	e := engine(t)
	for _, c := range []struct {
		name  string
		dsl   func(i int) bool // the red DSL light is lit in frame i
		power string
		want  string
	}{
		{"dsl blinking red", func(i int) bool { return i%4 < 2 }, "green", "NO-SYNC"},
		{"power blinking red, others off", nil, "red", "NO-POWER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := dialogue.NewState("telecom")
			var obs []perception.Observation
			obs = append(obs, intent("internet_down", 0.9, media.ModVideo))
			for i := 0; i < 12; i++ {
				var bs []lights.Blob
				switch {
				case c.power == "green":
					bs = append(bs, lights.Blob{X: 0.2, Y: 0.5, Color: "green"})
				case i%4 < 2:
					bs = append(bs, lights.Blob{X: 0.2, Y: 0.5, Color: "red"})
				}
				if c.dsl != nil {
					if c.dsl(i) {
						bs = append(bs, lights.Blob{X: 0.4, Y: 0.5, Color: "red"})
					}
					bs = append(bs, lights.Blob{X: 0.6, Y: 0.5, Color: "green"}, lights.Blob{X: 0.8, Y: 0.5, Color: "green"})
				}
				obs = append(obs, perception.Observation{Kind: lights.Kind, Value: bs, Confidence: 0.9,
					Source: perception.Source{Modality: media.ModVideo, Part: 1, Start: time.Duration(i) * 250 * time.Millisecond}})
			}
			out := turn(t, e, st, obs...)
			var code any
			for _, a := range st.Actions {
				if a.Type == "diagnosis" {
					code = a.Params["code"]
				}
			}
			if code != c.want || st.Skill != "internet_down" {
				t.Fatalf("diagnosis %v skill %q findings %+v: %q", code, st.Skill, st.Findings, out.Reply.Text())
			}
			// The diagnosis comes with a PDF report whose fault is the one the lights show.
			var pdf []byte
			title := ""
			for _, p := range out.Reply.Parts {
				if p.Type == "document" && p.MIME == "application/pdf" {
					pdf, title = p.Data, p.Title
				}
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Fatalf("no PDF report in %+v", out.Reply.Parts)
			}
			if !strings.Contains(title, "Diagnostic report "+c.want) {
				t.Errorf("the PDF report %q is not for %s", title, c.want)
			}
		})
	}
}

func TestVideoWithoutAFaultGetsAQuestion(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("appliances")
	frames := dialogue.Input{MessageID: "m1", Kinds: []media.Kind{media.Image, media.Audio}, Modalities: []media.Modality{media.ModVideo, media.ModVideo}}
	out, err := e.Turn(context.Background(), st, frames)
	if err != nil {
		t.Fatal(err)
	}
	if st.Skill != "fault" || !strings.Contains(out.Reply.Text(), "washing machine or your dishwasher") {
		t.Fatalf("skill %q: %q", st.Skill, out.Reply.Text())
	}
	frames.Observations = []perception.Observation{entity("product", "washer", media.ModVideo)}
	out, _ = e.Turn(context.Background(), st, frames)
	if r := out.Reply.Text(); !strings.Contains(r, "couldn't read an error code") || strings.Contains(r, "send a short video") {
		t.Fatalf("reply %q", r)
	}
}

func TestMisheardUnknownCodeGivesWayToTheDisplay(t *testing.T) {
	e := engine(t)
	st := dialogue.NewState("appliances")
	heard := perception.Observation{Kind: perception.KindEntity, Slot: "error_code", Value: "C10", Confidence: 0.7,
		Source: perception.Source{Modality: media.ModVideo, Stage: "text.nlu", Origin: "audio.asr"}}
	turn(t, e, st, intent("fault", 0.9, media.ModVideo), heard, frameCode("E10", 1, time.Second), entity("product", "washer", media.ModVideo))
	if st.Status("error_code") == dialogue.Conflict || st.Value("error_code") != "E10" || len(st.Slots["error_code"].Evidence) != 1 {
		t.Fatalf("error_code %+v", st.Slots["error_code"])
	}
}
