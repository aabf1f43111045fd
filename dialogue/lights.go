package dialogue

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/lights"
)

// lightFindings follows the lit lights across the frames of each video (or reads one photo's) and
// records each light with its colour and blink pattern, named as the reader placed it on the
// product's layout, or after the product's lights when their number agrees.
func (t *turn) lightFindings() {
	type key struct {
		part int
		mod  media.Modality
	}
	frames := map[key][]lights.Frame{}
	var keys []key
	for _, o := range t.in.Observations {
		bs, ok := o.Value.([]lights.Blob)
		if o.Kind != lights.Kind || !ok {
			continue
		}
		k := key{o.Source.Part, o.Source.Modality}
		if _, seen := frames[k]; !seen {
			keys = append(keys, k)
		}
		frames[k] = append(frames[k], lights.Frame{At: o.Source.Start, Blobs: bs})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].part < keys[j].part })
	for _, k := range keys {
		tracks := lights.Track(frames[k])
		names := t.lightNames(len(tracks))
		for i, l := range tracks {
			name := fmt.Sprintf("light %d", i+1)
			switch {
			case l.Name != "":
				name = l.Name // placed on the product's layout by the light reader
			case names != nil:
				name = names[i]
			}
			t.st.Findings = append(t.st.Findings, Finding{
				Kind: kindLight, Name: name, Value: l.Color + " " + l.Pattern, Modality: k.mod,
				Stage: lights.StageName, Confidence: 0.6 + 0.3*min(1, float64(len(frames[k]))/8), MessageID: t.in.MessageID,
			})
		}
	}
}

// lightNames returns the names of the lights, left to right, of the pack's product that has n
// lights (the product named in the conversation first); nil when none has.
func (t *turn) lightNames(n int) []string {
	kind := t.productKind()
	var best []string
	for _, pr := range t.pack.Products {
		if len(pr.Lights) != n || n == 0 {
			continue
		}
		ls := append([]kb.Light(nil), pr.Lights...)
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].X < ls[j].X })
		names := make([]string, n)
		for i, l := range ls {
			names[i] = l.Name
		}
		if pr.Kind == kind || best == nil {
			best = names
		}
	}
	return best
}

// LightsFault returns the fault whose light states best explain the lights seen (each as "name
// colour pattern"), and how well, in [0,1]; ok is false when no fault's lights are all seen.
// A fault's lights are its listed states plus, for the product's other lights, steady green.
func LightsFault(p *kb.Pack, seen []Finding) (kb.Fault, float64, bool) {
	var best kb.Fault
	bestScore, found := 0.0, false
	for _, f := range p.Faults {
		if len(f.Lights) == 0 {
			continue
		}
		want := map[string]int{} // "colour pattern" expected among lit lights
		named := map[string]string{}
		for _, l := range f.Lights {
			named[l.Light] = l.Color + " " + l.Pattern
		}
		for _, pr := range p.Products {
			if pr.Kind != f.Kind {
				continue
			}
			for _, l := range pr.Lights {
				st, ok := named[l.Name]
				if !ok {
					st = "green steady"
				}
				if !strings.HasPrefix(st, "off") {
					want[st]++
				}
			}
			break
		}
		got := map[string]int{}
		nameOK := 0
		for _, s := range seen {
			if s.Kind != kindLight {
				continue
			}
			got[s.Value]++
			if named[s.Name] == s.Value {
				nameOK++
			}
		}
		matched, total := 0, 0
		for k, n := range want {
			matched += min(n, got[k])
			total += n
		}
		extra := 0
		for k, n := range got {
			extra += max(0, n-want[k])
		}
		// every light the fault lists must be seen
		all := true
		for _, l := range f.Lights {
			if !strings.HasPrefix(l.Color, "off") && got[l.Color+" "+l.Pattern] == 0 {
				all = false
			}
		}
		if !all || total == 0 {
			continue
		}
		score := (float64(matched) + 0.5*float64(nameOK)) / (float64(total+extra) + 0.5*float64(len(f.Lights)))
		if score > bestScore {
			best, bestScore, found = f, score, true
		}
	}
	return best, bestScore, found
}

// lightsDiagnosis says what the router's lights mean when this message's lights match a fault,
// and records the diagnosis.
func (t *turn) lightsDiagnosis() bool {
	var seen []Finding
	for _, f := range t.st.Findings {
		if f.Kind == kindLight && f.MessageID == t.in.MessageID {
			seen = append(seen, f)
		}
	}
	if len(seen) == 0 {
		return false
	}
	f, score, ok := LightsFault(t.pack, seen)
	if !ok {
		return false
	}
	var shown []string
	for _, s := range seen {
		if s.Value != "green steady" {
			shown = append(shown, fmt.Sprintf("the %s light is %s", s.Name, s.Value))
		}
	}
	if t.st.Checks == nil {
		t.st.Checks = map[string]string{}
	}
	ranked := RankCauses(f, t.customerText(), t.st.Findings, t.st.Checks)
	top := f.FaultCauses()[0]
	if len(ranked) > 0 {
		top = ranked[0].Cause
	}
	t.say(fmt.Sprintf("I can see that %s: %s. %s Most likely: %s", strings.Join(shown, " and "), strings.ToLower(f.Title), f.Cause, top.Text))
	// The diagnostic report (PDF and web page) and the parts order are made at once, each timed.
	var (
		wg          sync.WaitGroup
		rep, order  []Part
		tRep, tOrdr time.Duration
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		start := time.Now()
		if len(ranked) > 0 {
			rep = t.report(f, ranked)
		}
		tRep = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		start := time.Now()
		if len(top.Parts) > 0 {
			order = t.partsLinkParts(top.Parts)
		}
		tOrdr = time.Since(start)
	}()
	wg.Wait()
	var pages []Part
	for _, p := range rep {
		if p.MIME == "application/pdf" {
			t.parts = append(t.parts, p)
			continue
		}
		p.Type = "link" // the web page of the report follows the order link
		pages = append(pages, p)
	}
	t.parts = append(t.parts, order...)
	t.parts = append(t.parts, pages...)
	a := Action{Type: "diagnosis", Params: map[string]any{"code": f.Code, "product": f.Kind, "confidence": score, "parts": top.Parts,
		"timings_ms": map[string]float64{"report": ms(tRep), "order": ms(tOrdr)}}, Status: "done", At: t.now}
	t.st.Actions = append(t.st.Actions, a)
	t.out.Actions = append(t.out.Actions, a)
	t.out.Events = append(t.out.Events, Event{Type: "action", Data: a})
	t.st.DiagnosedAt = t.now
	return true
}

// lightsFlow returns the flow to start for a message whose lights show a known fault: the flow
// that walks the fault's guide.
func (t *turn) lightsFlow() string {
	for _, o := range t.in.Observations {
		bs, ok := o.Value.([]lights.Blob)
		if o.Kind != lights.Kind || !ok || len(bs) == 0 {
			continue
		}
		for _, f := range t.pack.Faults {
			if len(f.Lights) == 0 {
				continue
			}
			for name, fl := range t.pack.Flows {
				if fl.Guide != "" && fl.Guide == f.Guide {
					return name
				}
			}
		}
	}
	return ""
}
