package dialogue

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/report"
)

// closeCauses is the lead under which the top cause does not stand clear of the second: then one
// diagnostic check is asked before the documents are made.
const closeCauses = 0.15

// Ranked is a cause with its likelihood after the evidence, and the evidence that moved it.
type Ranked struct {
	Cause      kb.Cause `json:"cause"`
	Likelihood float64  `json:"likelihood"`
	Why        []string `json:"why,omitempty"`
}

// diagnose looks up the fault, ranks its causes with the evidence, asks one check when the two
// likeliest causes stay close, and otherwise produces, concurrently and each timed, the diagnostic
// report, the repair guide and the parts-order link.
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
	if st.Checks == nil {
		st.Checks = map[string]string{}
	}
	if id, ok := strings.CutPrefix(st.Step, "check:"); ok {
		st.Checks[id] = "unanswered"
		if t.answer != "" {
			st.Checks[id] = t.answer
		}
	}
	ranked := RankCauses(fault, t.customerText(), st.Findings, st.Checks)
	if c := t.pack.Checks[closeCheck(ranked, st.Checks)]; c != nil {
		st.Step = "check:" + c.ID
		t.say(fmt.Sprintf("%s on your %s: %s", code, st.Value("product"), fault.Title+"."))
		t.say(t.simple(c.Question, c.Simple))
		t.expect(perception.Expectation{Type: "yesno"})
		return
	}
	top := ranked[0].Cause
	partNos := top.Parts
	if len(partNos) == 0 {
		partNos = fault.Parts
	}
	var (
		wg                  sync.WaitGroup
		rep, guide, order   []Part
		tRep, tGuide, tOrdr time.Duration
	)
	timed := func(d *time.Duration, out *[]Part, f func() []Part) {
		defer wg.Done()
		start := time.Now()
		*out = f()
		*d = time.Since(start)
	}
	wg.Add(3)
	go timed(&tRep, &rep, func() []Part { return t.report(fault, ranked) })
	go timed(&tGuide, &guide, func() []Part { return t.repairGuide(fault, top) })
	go timed(&tOrdr, &order, func() []Part { return t.partsLinkParts(partNos) })
	wg.Wait()
	t.say(fmt.Sprintf("%s on your %s: %s Most likely: %s", code, st.Value("product"), fault.Title+".", top.Text))
	docs := append(append([]Part{}, rep...), guide...)
	var pdfs, rest []Part
	for _, p := range docs {
		switch {
		case p.Type == "document" && p.MIME == "application/pdf":
			pdfs = append(pdfs, p)
		case p.Type == "document":
			// the HTML variant of a document is a link to the page, after the order link
			p.Type = "link"
			rest = append(rest, p)
		default:
			rest = append(rest, p)
		}
	}
	t.parts = append(t.parts, pdfs...)
	t.parts = append(t.parts, order...)
	t.parts = append(t.parts, rest...)
	causes := make([]map[string]any, 0, len(ranked))
	for _, r := range ranked {
		causes = append(causes, map[string]any{"id": r.Cause.ID, "text": r.Cause.Text, "likelihood": r.Likelihood})
	}
	a := Action{Type: "diagnosis", Params: map[string]any{
		"code": code, "product": st.Value("product"), "parts": partNos, "causes": causes,
		"timings_ms": map[string]float64{"report": ms(tRep), "guide": ms(tGuide), "order": ms(tOrdr)},
	}, Status: "done", At: t.now}
	if m := t.model(); m.id != "" {
		a.Params["model"] = m.id
	}
	st.Actions = append(st.Actions, a)
	t.out.Actions = append(t.out.Actions, a)
	t.out.Events = append(t.out.Events, Event{Type: "action", Data: a})
	st.Step, st.Resolved = "done", true
	st.DiagnosedAt = t.now
	st.Expect = emptyExpectation(st.Pack)
	t.say(t.fillFlow(flow, flow.Done))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// RankCauses returns a fault's causes, likeliest first: each prior is multiplied by 2.5 for every
// sound heard that the cause lists, by 3 for every phrase of the customer's words it lists, by 4
// for a yes to its check and by 1/4 for a no, and the results are normalised.
func RankCauses(f kb.Fault, words string, findings []Finding, checks map[string]string) []Ranked {
	words = " " + Canonical(wordsOnly(words)) + " "
	var out []Ranked
	total := 0.0
	for _, c := range f.FaultCauses() {
		r := Ranked{Cause: c, Likelihood: c.Prior}
		for _, s := range c.Sounds {
			for _, fd := range findings {
				if fd.Kind == kindSound && fd.Name == s {
					r.Likelihood *= 2.5
					r.Why = append(r.Why, fmt.Sprintf("%s heard in the %s (%s)", s, fd.Modality, fd.Stage))
					break
				}
			}
		}
		for _, w := range c.Words {
			if strings.Contains(words, " "+Canonical(w)+" ") {
				r.Likelihood *= 3
				r.Why = append(r.Why, fmt.Sprintf("you mentioned %q", w))
			}
		}
		switch checks[c.Check] {
		case "yes":
			r.Likelihood *= 4
			r.Why = append(r.Why, "your answer to the check")
		case "no":
			r.Likelihood /= 4
		}
		total += r.Likelihood
		out = append(out, r)
	}
	for i := range out {
		out[i].Likelihood /= total
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Likelihood > out[j].Likelihood })
	return out
}

// closeCheck returns the check to ask when the two likeliest causes are within closeCauses of
// each other and one of them has a check not yet asked; "" otherwise. Only one check is asked per
// diagnosis.
func closeCheck(r []Ranked, asked map[string]string) string {
	if len(r) < 2 || r[0].Likelihood-r[1].Likelihood >= closeCauses || len(asked) > 0 {
		return ""
	}
	for _, c := range r[:2] {
		if c.Cause.Check != "" {
			return c.Cause.Check
		}
	}
	return ""
}

func (t *turn) productKind() string {
	if p, ok := t.pack.Product(fmt.Sprint(t.st.Value("product"))); ok {
		return p.Kind
	}
	return ""
}

// productName is the product named in the conversation, or kind when none was.
func (t *turn) productName(kind string) string {
	if v := t.st.Value("product"); v != nil && fmt.Sprint(v) != "" {
		return fmt.Sprint(v)
	}
	return kind
}

// diagnosis gathers what the report shows.
func (t *turn) diagnosis(f kb.Fault, ranked []Ranked) report.Diagnosis {
	st := t.st
	d := report.Diagnosis{
		Business: t.pack.Title, Product: t.productName(f.Kind), Model: t.model().id,
		Code: f.Code, Fault: f.Title, Severity: f.Severity, Created: t.now,
	}
	for _, r := range ranked {
		c := report.Cause{Text: r.Cause.Text, Likelihood: r.Likelihood, Why: r.Why}
		for _, n := range r.Cause.Parts {
			if p, ok := t.pack.Part(n); ok {
				c.Parts = append(c.Parts, p.Name+" "+p.Number)
			}
		}
		d.Causes = append(d.Causes, c)
	}
	for _, name := range []string{"product", "error_code"} {
		sl := st.Slots[name]
		if sl == nil {
			continue
		}
		for _, ev := range sl.Evidence {
			stage := ev.Stage
			if ev.Via != "" {
				stage += ", read by " + ev.Via
			}
			e := report.Evidence{
				What:     strings.ReplaceAll(name, "_", " ") + " " + fmt.Sprint(ev.Value),
				Modality: string(ev.Modality), Stage: stage, Score: ev.Confidence,
				At: time.Duration(ev.FrameMS) * time.Millisecond, CropURL: ev.Crop,
			}
			if c := t.cropData(ev.Crop); c != nil {
				e.Crop = c
			}
			d.Evidence = append(d.Evidence, e)
		}
	}
	for _, fd := range st.Findings {
		d.Evidence = append(d.Evidence, report.Evidence{
			What: fd.Name + " " + fd.Value, Modality: string(fd.Modality), Stage: fd.Stage, Score: fd.Confidence,
			At: time.Duration(fd.FrameMS) * time.Millisecond, CropURL: fd.Crop, Crop: t.cropData(fd.Crop),
		})
	}
	ids := make([]string, 0, len(st.Checks))
	for id := range st.Checks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if c := t.pack.Checks[id]; c != nil {
			d.Checks = append(d.Checks, report.Check{Question: c.Question, Answer: st.Checks[id]})
		}
	}
	return d
}

// cropData returns the picture stored at url when this message's stages produced it.
func (t *turn) cropData(url string) []byte {
	if url == "" {
		return nil
	}
	for _, o := range t.in.Observations {
		if o.Attachment != nil && o.Attachment.URL == url {
			return o.Attachment.Data
		}
	}
	return nil
}

// report renders the diagnostic report as PDF and HTML.
func (t *turn) report(f kb.Fault, ranked []Ranked) []Part {
	d := t.diagnosis(f, ranked)
	var parts []Part
	var wg sync.WaitGroup
	var pdf, page []byte
	wg.Add(2)
	go func() { defer wg.Done(); pdf, _ = report.ReportPDF(d) }()
	go func() { defer wg.Done(); page, _ = report.ReportHTML(d) }()
	wg.Wait()
	if pdf != nil {
		parts = append(parts, Part{Type: "document", Title: "Diagnostic report " + f.Code + " (PDF)", MIME: "application/pdf", Data: pdf})
	}
	if page != nil {
		parts = append(parts, Part{Type: "document", Title: "Diagnostic report " + f.Code + " (web page)", MIME: "text/html", Data: page})
	}
	return parts
}

// repairGuide renders the cause's repair guide as PDF and HTML, in the plain wording when the
// customer is confused or frustrated, and adds the first step's picture.
func (t *turn) repairGuide(f kb.Fault, c kb.Cause) []Part {
	id := c.Guide
	if id == "" {
		id = f.Guide
	}
	g := t.pack.Guides[id]
	if g == nil {
		return nil
	}
	rg := report.Guide{
		Business: t.pack.Title, Title: g.Title, Product: t.productName(f.Kind), Code: f.Code,
		Tools: g.Tools, Minutes: g.Minutes, Safety: g.Safety, Simple: t.style.Simplified,
	}
	for _, s := range g.Steps {
		text := s.Text
		if t.style.Simplified && s.Simple != "" {
			text = s.Simple
		}
		step := report.Step{Text: text}
		if s.Image != "" {
			step.ImageURL = assetURL(t.st.Pack, s.Image)
			if t.pack.Assets != nil {
				step.Image = readAsset(t.pack, s.Image)
			}
		}
		rg.Steps = append(rg.Steps, step)
	}
	var wg sync.WaitGroup
	var pdf, page []byte
	wg.Add(2)
	go func() { defer wg.Done(); pdf, _ = report.GuidePDF(rg) }()
	go func() { defer wg.Done(); page, _ = report.GuideHTML(rg) }()
	wg.Wait()
	var parts []Part
	if pdf != nil {
		parts = append(parts, Part{Type: "document", Title: "Repair guide: " + g.Title + " (PDF)", MIME: "application/pdf", Data: pdf})
	}
	if page != nil {
		parts = append(parts, Part{Type: "document", Title: "Repair guide: " + g.Title + " (web page)", MIME: "text/html", Data: page})
	}
	for i, s := range g.Steps {
		if s.Image != "" {
			parts = append(parts, Part{Type: "image", Title: fmt.Sprintf("Step %d", i+1), URL: assetURL(t.st.Pack, s.Image), MIME: "image/svg+xml"})
			break
		}
	}
	return parts
}

// partsLink adds a link to the parts that fit a product kind (all parts when numbers is nil).
func (t *turn) partsLink(kind string, numbers []string) {
	if numbers == nil {
		for _, p := range t.pack.Parts {
			for _, fit := range p.Fits {
				if pr, ok := t.pack.Product(fit); ok && (kind == "" || pr.Kind == kind) && !slices.Contains(numbers, p.Number) {
					numbers = append(numbers, p.Number)
				}
			}
		}
	}
	t.parts = append(t.parts, t.partsLinkParts(numbers)...)
}

// partsLinkParts links to the order page, pre-filled with the parts, their prices and stock.
func (t *turn) partsLinkParts(numbers []string) []Part {
	if len(numbers) == 0 {
		return nil
	}
	var names []string
	total := 0.0
	for _, n := range numbers {
		if p, ok := t.pack.Part(n); ok {
			stock := fmt.Sprintf("%d in stock", p.Stock)
			if p.Stock <= 0 {
				stock = "out of stock"
			}
			names = append(names, fmt.Sprintf("%s %s (%s, %s)", p.Name, p.Number, Money(p.Price), stock))
			total += p.Price
		}
	}
	url := "/order.html?pack=" + t.st.Pack + "&parts=" + strings.Join(numbers, ",")
	if m := t.model(); m.id != "" {
		url += "&model=" + m.id
	}
	return []Part{{Type: "link", Title: "Order parts: " + strings.Join(names, ", ") + " — " + Money(total), URL: url}}
}
