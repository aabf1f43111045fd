package server

import (
	"fmt"
	"html"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/web/chart"
)

// handleCharts serves GET /v1/stats/charts: the dashboard's charts as an HTML fragment of
// server-drawn SVG figures, one per series of GET /v1/stats (same parameters), each with a link
// to its CSV.
func (s *Server) handleCharts(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.stats(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := buildStatsView(p, st, s.metrics.stageQuantiles())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, renderCharts(p, v, s.edgeTotals(r.Context())))
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// duration renders seconds as s, min or h.
func duration(v float64) string {
	switch {
	case v >= 3600:
		return fmt.Sprintf("%.1f h", v/3600)
	case v >= 60:
		return fmt.Sprintf("%.1f min", v/60)
	}
	return fmt.Sprintf("%.0f s", v)
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func bytesText(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f kB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func f64(v float64) *float64 { return &v }

// count renders a count axis value: whole numbers plain, fractions of a tick with one decimal.
func count(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func intervalPtr(ci *interval) *[2]float64 {
	if ci == nil {
		return nil
	}
	a := [2]float64(*ci)
	return &a
}

// pick maps a series to one of its values.
func pick(ps []point, f func(point) *float64) []*float64 {
	out := make([]*float64, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

func renderCharts(p statsParams, v *statsView, edge map[string]any) string {
	xs := make([]time.Time, len(v.Series))
	for i, pt := range v.Series {
		xs[i] = pt.Start
	}
	q := url.Values{"bucket": {p.name}, "format": {"csv"}}
	if !p.from.IsZero() {
		q.Set("from", p.from.Format(time.RFC3339))
	}
	if !p.to.IsZero() {
		q.Set("to", p.to.Format(time.RFC3339))
	}
	if p.pack != "" {
		q.Set("pack", p.pack)
	}
	csvURL := func(series string) string {
		q.Set("series", series)
		return "/v1/stats?" + q.Encode()
	}
	var b strings.Builder
	figure := func(id, title, note, svg, series string, points int) {
		fmt.Fprintf(&b, `<figure class="card chart" data-chart="%s" data-points="%d"><figcaption><span class="chart-title">%s</span>`,
			html.EscapeString(id), points, html.EscapeString(title))
		fmt.Fprintf(&b, ` <a class="csv" href="%s" download>CSV</a></figcaption>%s`, html.EscapeString(csvURL(series)), svg)
		if note != "" {
			fmt.Fprintf(&b, `<p class="muted small chart-note">%s</p>`, html.EscapeString(note))
		}
		b.WriteString(`</figure>`)
	}
	line := func(id, title, note string, f func(point) *float64, format func(float64) string, max float64) {
		l := chart.Line{ID: id, Title: title, X: xs, Step: p.bucket, Format: format, Max: max,
			Series: []chart.Series{{Name: title, Values: pick(v.Series, f)}}}
		figure(id, title, note, l.SVG(), "overall", l.Points())
	}
	b.WriteString(`<div class="charts">`)
	line("conversations", "Conversations", "", func(pt point) *float64 { return f64(float64(pt.Conversations)) },
		count, 0)
	line("resolution_rate", "Resolved without a person", "", func(pt point) *float64 { return pt.ResolutionRate }, pct, 1)
	line("handoff_rate", "Handed to a person", "", func(pt point) *float64 { return pt.HandoffRate }, pct, 1)
	line("csat", "CSAT (share rating 4 or 5)", "", func(pt point) *float64 { return pt.Satisfied }, pct, 1)
	line("median_resolution", "Median time to resolution", "", func(pt point) *float64 { return pt.MedianResolution }, duration, 0)

	packs := slices.Sorted(maps.Keys(v.Packs))
	pl := chart.Line{ID: "packs", Title: "Conversations per pack", X: xs, Step: p.bucket,
		Format: count}
	for _, name := range packs {
		pl.Series = append(pl.Series, chart.Series{Name: name, Values: pick(v.Packs[name], func(pt point) *float64 { return f64(float64(pt.Conversations)) })})
	}
	figure("packs", pl.Title, "", pl.SVG(), "packs", pl.Points())

	ml := chart.Line{ID: "modality", Title: "Conversations by modality", X: xs, Step: p.bucket,
		Format: count}
	for _, m := range []struct {
		name string
		f    func(modalityPoint) int
	}{
		{"text", func(m modalityPoint) int { return m.Text }}, {"photo", func(m modalityPoint) int { return m.Image }},
		{"voice", func(m modalityPoint) int { return m.Audio }}, {"video", func(m modalityPoint) int { return m.Video }},
		{"multimodal", func(m modalityPoint) int { return m.Multimodal }},
	} {
		vals := make([]*float64, len(v.ModalitySeries))
		for i, mp := range v.ModalitySeries {
			vals[i] = f64(float64(m.f(mp)))
		}
		ml.Series = append(ml.Series, chart.Series{Name: m.name, Values: vals})
	}
	figure("modality", ml.Title, "", ml.SVG(), "modality", ml.Points())

	c := v.Comparison
	note := func(n int, what string) string { return fmt.Sprintf("n=%d %s", n, what) }
	cs := chart.Bars{ID: "compare_csat", Title: "CSAT: unimodal vs multimodal", Format: pct, Max: 1, Bars: []chart.Bar{
		{Label: "unimodal", Value: c.Unimodal.Satisfied, CI: intervalPtr(c.Unimodal.SatisfiedCI95), Note: note(c.Unimodal.CSATCount, "ratings")},
		{Label: "multimodal", Value: c.Multimodal.Satisfied, CI: intervalPtr(c.Multimodal.SatisfiedCI95), Note: note(c.Multimodal.CSATCount, "ratings")},
	}}
	figure("compare_csat", cs.Title, diffNote(c.Satisfied, "points", func(x float64) string { return fmt.Sprintf("%+.1f", x) }), cs.SVG(), "comparison", cs.Points())
	cr := chart.Bars{ID: "compare_resolution", Title: "Mean time to resolution: unimodal vs multimodal", Format: duration, Bars: []chart.Bar{
		{Label: "unimodal", Value: c.Unimodal.ResolutionMean, CI: intervalPtr(c.Unimodal.ResolutionCI95), Note: note(c.Unimodal.Resolved, "resolved")},
		{Label: "multimodal", Value: c.Multimodal.ResolutionMean, CI: intervalPtr(c.Multimodal.ResolutionCI95), Note: note(c.Multimodal.Resolved, "resolved")},
	}}
	figure("compare_resolution", cr.Title, diffNote(c.Resolution, "", duration), cr.SVG(), "comparison", cr.Points())

	sb := chart.Bars{ID: "stages", Title: "Slowest perception stages (p95, p50)", Format: ms, ByGroup: true}
	for i, st := range v.Stages {
		if i == 8 {
			break
		}
		sb.Bars = append(sb.Bars, chart.Bar{Label: st.Stage + " p95", Value: f64(st.P95MS), Note: fmt.Sprintf("n=%d", st.Count), Group: i},
			chart.Bar{Label: st.Stage + " p50", Value: f64(st.P50MS), Group: i})
	}
	stageNote := ""
	if len(sb.Bars) == 0 {
		stageNote = "No perception stage has run since the server started."
	}
	figure("stages", sb.Title, stageNote, sb.SVG(), "stages", sb.Points())

	sent, _ := edge["sent"].(int64)
	raw, _ := edge["raw"].(int64)
	eb := chart.Bars{ID: "edge", Title: "Bytes sent up vs raw media", Format: bytesText, Bars: []chart.Bar{
		{Label: "sent up", Value: f64(float64(sent))}, {Label: "raw media", Value: f64(float64(raw))}}}
	edgeNote := "Every conversation so far; devices that read media on the device send features instead of pixels."
	if raw > 0 {
		edgeNote = fmt.Sprintf("%.0f%% fewer bytes than the raw media, over every conversation so far.", 100*(1-float64(sent)/float64(raw)))
	}
	figure("edge", eb.Title, edgeNote, eb.SVG(), "overall", eb.Points())
	b.WriteString(`</div>`)
	return b.String()
}

// diffNote describes multimodal minus unimodal with its interval, and whether it could be noise.
func diffNote(d *difference, unit string, format func(float64) string) string {
	if d == nil || d.CI95 == nil {
		return "Too few conversations on one side to compare."
	}
	verdict := "the interval includes 0: this could be noise."
	if d.CI95[0] > 0 || d.CI95[1] < 0 {
		verdict = "the interval excludes 0."
	}
	if math.IsNaN(d.Value) {
		return ""
	}
	u := ""
	if unit != "" {
		u = " " + unit
	}
	return fmt.Sprintf("Multimodal minus unimodal: %s%s (95%% CI %s to %s); %s", format(d.Value), u, format(d.CI95[0]), format(d.CI95[1]), verdict)
}
