package dialogue

import (
	"fmt"
	"html"
	"strings"
	"sync"

	"github.com/parleyhq/parley/kb"
)

// diagnose looks up the fault and produces, concurrently, the diagnostic report, the illustrated
// repair guide and the parts-order link.
func (t *turn) diagnose(flow *kb.Flow) {
	st := t.st
	kind := t.productKind()
	code := strings.ToUpper(fmt.Sprint(st.Value("error_code")))
	fault, ok := t.pack.Fault(code, kind)
	if !ok || (kind != "" && fault.Kind != kind) {
		st.Step = "slot:error_code"
		delete(st.Slots, "error_code")
		t.say(fmt.Sprintf("I don't know the code %s for a %s. Please check the display again and tell me the letters and numbers, or send a short video of it.", code, FormatValue("text", st.Value("product"))))
		t.expect(errorCodeExpectation())
		return
	}
	var (
		wg                   sync.WaitGroup
		report, guide, parts []Part
	)
	wg.Add(3)
	go func() { defer wg.Done(); report = t.report(fault) }()
	go func() { defer wg.Done(); guide = t.repairGuide(fault) }()
	go func() { defer wg.Done(); parts = t.partsParts(fault) }()
	wg.Wait()
	t.say(fmt.Sprintf("%s on your %s: %s %s", code, st.Value("product"), fault.Title+".", fault.Cause))
	t.parts = append(t.parts, report...)
	t.parts = append(t.parts, guide...)
	t.parts = append(t.parts, parts...)
	a := Action{Type: "diagnosis", Params: map[string]any{"code": code, "product": st.Value("product"), "parts": fault.Parts}, Status: "done", At: t.now}
	st.Actions = append(st.Actions, a)
	t.out.Actions = append(t.out.Actions, a)
	t.out.Events = append(t.out.Events, Event{Type: "action", Data: a})
	st.Step, st.Resolved = "done", true
	st.Expect = emptyExpectation(st.Pack)
	t.say(t.fillFlow(flow, flow.Done))
}

func (t *turn) productKind() string {
	if p, ok := t.pack.Product(fmt.Sprint(t.st.Value("product"))); ok {
		return p.Kind
	}
	return ""
}

func (t *turn) report(f kb.Fault) []Part {
	st := t.st
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>Diagnostic report %s</title>", html.EscapeString(f.Code))
	fmt.Fprintf(&b, "<h1>Diagnostic report</h1><table>")
	row := func(k, v string) {
		fmt.Fprintf(&b, "<tr><th align=left>%s</th><td>%s</td></tr>", k, html.EscapeString(v))
	}
	row("Product", fmt.Sprint(st.Value("product")))
	row("Error code", f.Code)
	row("Fault", f.Title)
	row("Likely cause", f.Cause)
	row("Severity", f.Severity)
	fmt.Fprintf(&b, "</table><h2>Evidence</h2><ul>")
	for _, name := range []string{"product", "error_code"} {
		if sl := st.Slots[name]; sl != nil {
			for _, ev := range sl.Evidence {
				stage := ev.Stage
				if ev.Via != "" {
					stage += ", read by " + ev.Via
				}
				fmt.Fprintf(&b, "<li>%s = %v from %s (%s, confidence %.2f)</li>", name, html.EscapeString(fmt.Sprint(ev.Value)), ev.Modality, html.EscapeString(stage), ev.Confidence)
			}
		}
	}
	fmt.Fprintf(&b, "</ul>")
	return []Part{{Type: "document", Title: "Diagnostic report " + f.Code, MIME: "text/html; charset=utf-8", Data: []byte(b.String())}}
}

func (t *turn) repairGuide(f kb.Fault) []Part {
	g := t.pack.Guides[f.Guide]
	if g == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><ol>", html.EscapeString(g.Title), html.EscapeString(g.Title))
	parts := []Part{}
	for i, s := range g.Steps {
		text := s.Text
		if t.style.Simplified && s.Simple != "" {
			text = s.Simple
		}
		fmt.Fprintf(&b, "<li><p>%s</p>", html.EscapeString(text))
		if s.Image != "" {
			fmt.Fprintf(&b, `<img src="%s" alt="step %d" width=320>`, assetURL(t.st.Pack, s.Image), i+1)
		}
		fmt.Fprintf(&b, "</li>")
	}
	fmt.Fprintf(&b, "</ol>")
	parts = append(parts, Part{Type: "document", Title: "Repair guide: " + g.Title, MIME: "text/html; charset=utf-8", Data: []byte(b.String())})
	for i, s := range g.Steps {
		if s.Image != "" {
			parts = append(parts, Part{Type: "image", Title: fmt.Sprintf("Step %d", i+1), URL: assetURL(t.st.Pack, s.Image), MIME: "image/svg+xml"})
			if t.style.StepsPerMessage == 1 {
				break
			}
		}
	}
	return parts
}

func (t *turn) partsParts(f kb.Fault) []Part {
	return t.partsLinkParts(f.Parts)
}

// partsLink adds a link to the parts that fit a product kind (all parts when numbers is nil).
func (t *turn) partsLink(kind string, numbers []string) {
	if numbers == nil {
		for _, p := range t.pack.Parts {
			for _, fit := range p.Fits {
				if pr, ok := t.pack.Product(fit); ok && (kind == "" || pr.Kind == kind) {
					numbers = append(numbers, p.Number)
				}
			}
		}
	}
	t.parts = append(t.parts, t.partsLinkParts(numbers)...)
}

func (t *turn) partsLinkParts(numbers []string) []Part {
	if len(numbers) == 0 {
		return nil
	}
	var names []string
	total := 0.0
	for _, n := range numbers {
		if p, ok := t.pack.Part(n); ok {
			names = append(names, fmt.Sprintf("%s %s (%s)", p.Name, p.Number, Money(p.Price)))
			total += p.Price
		}
	}
	return []Part{{
		Type: "link", Title: "Order parts: " + strings.Join(names, ", ") + " — " + Money(total),
		URL: "/v1/packs/" + t.st.Pack + "/parts?order=" + strings.Join(numbers, ","),
	}}
}
