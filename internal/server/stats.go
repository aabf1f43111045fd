package server

import (
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/parleyhq/parley/store"
)

// maxBuckets bounds the points of one series, so a year of hours is refused rather than drawn.
const maxBuckets = 2000

// statsParams are the query parameters of GET /v1/stats and its charts.
type statsParams struct {
	from, to time.Time // zero when not given
	bucket   time.Duration
	name     string // "hour" or "day"
	pack     string
	// seriesFrom and seriesTo are the range the series cover, zero-filled: [from, to) when given;
	// otherwise the last day (hourly) or 30 days (daily) up to the current bucket.
	seriesFrom, seriesTo time.Time
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("%s=%q is not a time: use RFC 3339 (2026-03-01T09:00:00Z) or a date (2026-03-01)", name, v))
}

func (s *Server) parseStatsParams(q url.Values) (statsParams, error) {
	p := statsParams{name: "hour", bucket: time.Hour}
	switch b := q.Get("bucket"); b {
	case "", "hour":
	case "day":
		p.name, p.bucket = "day", 24*time.Hour
	default:
		return p, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("bucket=%q: use hour or day", b))
	}
	var err error
	if v := q.Get("from"); v != "" {
		if p.from, err = parseTime("from", v); err != nil {
			return p, err
		}
	}
	if v := q.Get("to"); v != "" {
		if p.to, err = parseTime("to", v); err != nil {
			return p, err
		}
	}
	if !p.from.IsZero() && !p.to.IsZero() && !p.to.After(p.from) {
		return p, errorf(http.StatusBadRequest, "bad_query", "to must be after from")
	}
	if p.pack = q.Get("pack"); p.pack != "" {
		if _, err := s.packs.Pack(p.pack); err != nil {
			return p, err
		}
	}
	p.seriesTo = p.to
	if p.seriesTo.IsZero() {
		p.seriesTo = s.now().UTC().Truncate(p.bucket).Add(p.bucket)
	}
	p.seriesFrom = p.from
	if p.seriesFrom.IsZero() {
		window := 24 * time.Hour
		if p.name == "day" {
			window = 30 * 24 * time.Hour
		}
		p.seriesFrom = p.seriesTo.Add(-window)
	}
	p.seriesFrom = p.seriesFrom.Truncate(p.bucket)
	if n := p.seriesTo.Sub(p.seriesFrom) / p.bucket; n > maxBuckets {
		return p, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("the range holds %d %ss; at most %d: choose a shorter range or bucket=day", n, p.name, maxBuckets))
	}
	return p, nil
}

// point is one bucket of a series: counts, rates and CSAT, nil where there is nothing to divide.
type point struct {
	Start            time.Time `json:"start"`
	Conversations    int       `json:"conversations"`
	Resolved         int       `json:"resolved"`
	Handoffs         int       `json:"handoffs"`
	CSATCount        int       `json:"csat_count"`
	ResolutionRate   *float64  `json:"resolution_rate"`
	HandoffRate      *float64  `json:"handoff_rate"`
	CSAT             *float64  `json:"csat_mean"`
	Satisfied        *float64  `json:"satisfied_share"`
	MedianResolution *float64  `json:"median_resolution_secs"`
}

func newPoint(start time.Time, g store.Group) point {
	p := point{Start: start, Conversations: g.Conversations, Resolved: g.Resolved, Handoffs: g.Handoffs,
		CSATCount: g.CSATCount, MedianResolution: g.MedianResolution}
	ratio := func(a, b int) *float64 {
		if b == 0 {
			return nil
		}
		v := float64(a) / float64(b)
		return &v
	}
	p.ResolutionRate = ratio(g.Resolved, g.Conversations)
	p.HandoffRate = ratio(g.Handoffs, g.Conversations)
	if g.CSATCount > 0 {
		m := g.CSATSum / float64(g.CSATCount)
		p.CSAT = &m
	}
	p.Satisfied = ratio(g.Satisfied, g.CSATCount)
	return p
}

// modalityPoint counts one bucket's conversations by the modalities their customer used.
type modalityPoint struct {
	Start      time.Time `json:"start"`
	Text       int       `json:"text"`
	Image      int       `json:"image"`
	Audio      int       `json:"audio"`
	Video      int       `json:"video"`
	Unimodal   int       `json:"unimodal"`
	Multimodal int       `json:"multimodal"`
}

// statsView is the body of GET /v1/stats beyond the totals: every series the dashboard draws.
type statsView struct {
	Range struct {
		From   time.Time `json:"from"`
		To     time.Time `json:"to"`
		Bucket string    `json:"bucket"`
		Pack   string    `json:"pack,omitempty"`
	} `json:"range"`
	Series         []point            `json:"series"`
	Packs          map[string][]point `json:"packs"`
	PackTotals     map[string]point   `json:"pack_totals"`
	ModalitySeries []modalityPoint    `json:"modality_series"`
	Comparison     struct {
		Unimodal   cohortView  `json:"unimodal"`
		Multimodal cohortView  `json:"multimodal"`
		Satisfied  *difference `json:"satisfied_share_points"`
		CSATMean   *difference `json:"csat_mean"`
		Resolution *difference `json:"resolution_mean_secs"`
	} `json:"comparison"`
	Stages []stageView `json:"stages"`
}

// fill returns one point per bucket of [from, to), zero where the store has none.
func fill[T any](from, to time.Time, step time.Duration, have map[time.Time]T, zero func(time.Time) T) []T {
	out := []T{}
	for t := from; t.Before(to); t = t.Add(step) {
		if v, ok := have[t]; ok {
			out = append(out, v)
		} else {
			out = append(out, zero(t))
		}
	}
	return out
}

func pointSeries(p statsParams, bs []store.Bucketed) []point {
	have := map[time.Time]point{}
	for _, b := range bs {
		have[b.Start.UTC()] = newPoint(b.Start.UTC(), b.Group)
	}
	return fill(p.seriesFrom, p.seriesTo, p.bucket, have, func(t time.Time) point { return newPoint(t, store.Group{}) })
}

func buildStatsView(p statsParams, st *store.Stats, stages []stageView) *statsView {
	v := &statsView{Packs: map[string][]point{}, PackTotals: map[string]point{}, Stages: stages}
	v.Range.From, v.Range.To, v.Range.Bucket, v.Range.Pack = p.seriesFrom, p.seriesTo, p.name, p.pack
	v.Series = pointSeries(p, st.Buckets)
	for name, bs := range st.PackBuckets {
		v.Packs[name] = pointSeries(p, bs)
	}
	for name, g := range st.Packs {
		v.PackTotals[name] = newPoint(time.Time{}, g)
	}
	mods := map[time.Time]modalityPoint{}
	for mask, bs := range st.ModalityBuckets {
		for _, b := range bs {
			t := b.Start.UTC()
			m := mods[t]
			m.Start = t
			n := b.Conversations
			for bit, dst := range []*int{&m.Text, &m.Image, &m.Audio, &m.Video} {
				if mask&(1<<bit) != 0 {
					*dst += n
				}
			}
			switch {
			case mask == 0:
			case store.Multimodal(mask):
				m.Multimodal += n
			default:
				m.Unimodal += n
			}
			mods[t] = m
		}
	}
	v.ModalitySeries = fill(p.seriesFrom, p.seriesTo, p.bucket, mods, func(t time.Time) modalityPoint { return modalityPoint{Start: t} })
	c := &v.Comparison
	c.Unimodal, c.Multimodal = newCohortView(st.Unimodal), newCohortView(st.Multimodal)
	c.Satisfied = shareDiff(st.Unimodal.Satisfied, st.Unimodal.CSATCount, st.Multimodal.Satisfied, st.Multimodal.CSATCount)
	c.CSATMean = meanDiff(st.Unimodal, st.Multimodal, func(g store.Group) (int, float64, float64) { return g.CSATCount, g.CSATSum, g.CSATSumSq })
	c.Resolution = meanDiff(st.Unimodal, st.Multimodal, func(g store.Group) (int, float64, float64) {
		return g.Resolved, g.ResolutionSum, g.ResolutionSumSq
	})
	return v
}

// stats runs the store's aggregate query for the request.
func (s *Server) stats(r *http.Request) (statsParams, *store.Stats, error) {
	p, err := s.parseStatsParams(r.URL.Query())
	if err != nil {
		return p, nil, err
	}
	in, ok := s.store.(store.Insights)
	if !ok {
		return p, nil, errorf(http.StatusNotImplemented, "not_implemented", "this store backend does not aggregate statistics")
	}
	st, err := in.Stats(r.Context(), store.StatsQuery{From: p.from, To: p.to, Bucket: p.bucket, Pack: p.pack, Tenant: scopeOf(r.Context())})
	if errors.Is(err, store.ErrBadQuery) {
		return p, nil, errorf(http.StatusBadRequest, "bad_query", err.Error())
	}
	return p, st, err
}

// handleStats serves GET /v1/stats: the totals (conversations, by_status, csat_average, ...: all
// time unless from is given), the series the dashboard draws and the unimodal/multimodal
// comparison, all aggregated by the store. With format=csv it returns one series as CSV.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.stats(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := buildStatsView(p, st, s.metrics.stageQuantiles())
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
	case "csv":
		s.writeStatsCSV(w, r, v)
		return
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("format=%q: use json or csv", f)))
		return
	}
	byPack := map[string]int{}
	byPackRes := map[string]float64{}
	for name, g := range st.Packs {
		byPack[name] = g.Conversations
		if g.MedianResolution != nil {
			byPackRes[name] = *g.MedianResolution
		}
	}
	out := map[string]any{
		"conversations":                  st.Overall.Conversations,
		"messages":                       st.Messages,
		"by_status":                      st.ByStatus,
		"by_pack":                        byPack,
		"csat_count":                     st.Overall.CSATCount,
		"csat_average":                   nil,
		"resolved":                       st.Overall.Resolved,
		"median_resolution_secs":         st.Overall.MedianResolution,
		"median_resolution_secs_by_pack": byPackRes,
		"modality_mix":                   st.Parts,
		"edge_bytes":                     s.edgeTotals(r.Context()),
		"range":                          v.Range,
		"series":                         v.Series,
		"packs":                          v.Packs,
		"pack_totals":                    v.PackTotals,
		"modality_series":                v.ModalitySeries,
		"comparison":                     v.Comparison,
		"stages":                         v.Stages,
	}
	if st.Overall.CSATCount > 0 {
		out["csat_average"] = st.Overall.CSATSum / float64(st.Overall.CSATCount)
	}
	writeJSON(w, http.StatusOK, out)
}

// csvSeries names the series format=csv can export.
var csvSeries = []string{"overall", "packs", "modality", "comparison", "stages"}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func ciCells(ci *interval) []string {
	if ci == nil {
		return []string{"", ""}
	}
	return []string{strconv.FormatFloat(ci[0], 'f', -1, 64), strconv.FormatFloat(ci[1], 'f', -1, 64)}
}

func pointRow(prefix []string, p point) []string {
	return append(prefix, p.Start.Format(time.RFC3339), strconv.Itoa(p.Conversations), strconv.Itoa(p.Resolved),
		strconv.Itoa(p.Handoffs), strconv.Itoa(p.CSATCount), num(p.ResolutionRate), num(p.HandoffRate),
		num(p.CSAT), num(p.Satisfied), num(p.MedianResolution))
}

var pointHeader = []string{"start", "conversations", "resolved", "handoffs", "csat_count", "resolution_rate",
	"handoff_rate", "csat_mean", "satisfied_share", "median_resolution_secs"}

func (s *Server) writeStatsCSV(w http.ResponseWriter, r *http.Request, v *statsView) {
	name := r.URL.Query().Get("series")
	if name == "" {
		name = "overall"
	}
	var rows [][]string
	switch name {
	case "overall":
		rows = append(rows, pointHeader)
		for _, p := range v.Series {
			rows = append(rows, pointRow(nil, p))
		}
	case "packs":
		rows = append(rows, append([]string{"pack"}, pointHeader...))
		for _, pack := range slices.Sorted(maps.Keys(v.Packs)) {
			for _, p := range v.Packs[pack] {
				rows = append(rows, pointRow([]string{pack}, p))
			}
		}
	case "modality":
		rows = append(rows, []string{"start", "text", "image", "audio", "video", "unimodal", "multimodal"})
		for _, m := range v.ModalitySeries {
			rows = append(rows, []string{m.Start.Format(time.RFC3339), strconv.Itoa(m.Text), strconv.Itoa(m.Image),
				strconv.Itoa(m.Audio), strconv.Itoa(m.Video), strconv.Itoa(m.Unimodal), strconv.Itoa(m.Multimodal)})
		}
	case "comparison":
		rows = append(rows, []string{"cohort", "conversations", "csat_count", "csat_mean", "csat_mean_ci95_low", "csat_mean_ci95_high",
			"satisfied_share", "satisfied_ci95_low", "satisfied_ci95_high", "resolved", "resolution_mean_secs",
			"resolution_ci95_low", "resolution_ci95_high", "median_resolution_secs"})
		for _, c := range []struct {
			name string
			v    cohortView
		}{{"unimodal", v.Comparison.Unimodal}, {"multimodal", v.Comparison.Multimodal}} {
			row := []string{c.name, strconv.Itoa(c.v.Conversations), strconv.Itoa(c.v.CSATCount), num(c.v.CSATMean)}
			row = append(row, ciCells(c.v.CSATMeanCI95)...)
			row = append(row, num(c.v.Satisfied))
			row = append(row, ciCells(c.v.SatisfiedCI95)...)
			row = append(row, strconv.Itoa(c.v.Resolved), num(c.v.ResolutionMean))
			row = append(row, ciCells(c.v.ResolutionCI95)...)
			rows = append(rows, append(row, num(c.v.MedianRes)))
		}
	case "stages":
		rows = append(rows, []string{"stage", "count", "p50_ms", "p95_ms"})
		for _, st := range v.Stages {
			rows = append(rows, []string{st.Stage, strconv.FormatUint(st.Count, 10),
				strconv.FormatFloat(st.P50MS, 'f', 3, 64), strconv.FormatFloat(st.P95MS, 'f', 3, 64)})
		}
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("series=%q: use one of %v", name, csvSeries)))
		return
	}
	writeCSV(w, "parley-"+name+".csv", rows)
}

// writeCSV sends rows as a CSV download.
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(rows)
}
