package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/store"
)

// Limits of one explorer listing: a page for the browser, a bigger one for a CSV export.
const (
	maxSearchLimit = 500
	csvSearchLimit = 10000
	maxCSVLimit    = 100000
	maxSearchText  = 200
)

// parseSearchParams reads the explorer's query: q (words), pack, status, modality (a comma list of
// text, image, audio, video: all must be present), from, to, csat_min, csat_max, before (the
// next_before of the previous page) and limit.
func (s *Server) parseSearchParams(v url.Values, csv bool) (store.SearchQuery, error) {
	bad := func(msg string) (store.SearchQuery, error) {
		return store.SearchQuery{}, errorf(http.StatusBadRequest, "bad_query", msg)
	}
	q := store.SearchQuery{Text: strings.TrimSpace(v.Get("q")), Pack: v.Get("pack"), Status: v.Get("status")}
	if len(q.Text) > maxSearchText {
		return bad(fmt.Sprintf("q is %d bytes; at most %d", len(q.Text), maxSearchText))
	}
	if q.Pack != "" {
		if _, err := s.packs.Pack(q.Pack); err != nil {
			return store.SearchQuery{}, err
		}
	}
	switch q.Status {
	case "", store.StatusOpen, store.StatusHandoff, store.StatusResolved:
	default:
		return bad(fmt.Sprintf("status=%q: use open, handoff or resolved", q.Status))
	}
	if m := v.Get("modality"); m != "" {
		for _, name := range strings.Split(m, ",") {
			bit := modalityBit(strings.TrimSpace(name))
			if bit == 0 {
				return bad(fmt.Sprintf("modality=%q: use text, image, audio or video (comma-separated)", name))
			}
			q.Modalities |= bit
		}
	}
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}, {"before", &q.Before}} {
		if s := v.Get(t.name); s != "" {
			if *t.dst, err = parseTime(t.name, s); err != nil {
				return store.SearchQuery{}, err
			}
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return bad("to must be after from")
	}
	for _, c := range []struct {
		name string
		dst  *int
	}{{"csat_min", &q.CSATMin}, {"csat_max", &q.CSATMax}} {
		if s := v.Get(c.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 5 {
				return bad(fmt.Sprintf("%s=%q: use a score from 1 to 5", c.name, s))
			}
			*c.dst = n
		}
	}
	if q.CSATMin > 0 && q.CSATMax > 0 && q.CSATMax < q.CSATMin {
		return bad("csat_max must not be below csat_min")
	}
	maxLimit := maxSearchLimit
	q.Limit = 50
	if csv {
		q.Limit, maxLimit = csvSearchLimit, maxCSVLimit
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return bad(fmt.Sprintf("limit=%q: use 1 to %d", s, maxLimit))
		}
		q.Limit = n
	}
	return q, nil
}

func modalityBit(name string) int {
	for i, n := range store.ModalityNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}

// modalityList names the bits of a mask.
func modalityList(mask int) []string {
	out := []string{}
	for i, n := range store.ModalityNames {
		if mask&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// foundView is a search result as the explorer shows it.
type foundView struct {
	store.Found
	ModalityNames []string `json:"modality_names"`
	Multimodal    bool     `json:"multimodal"`
}

// handleExplore serves GET /v1/explore: conversations matching the explorer's filters, newest
// first, from the store's search; format=csv exports them (up to 10,000 by default).
func (s *Server) handleExplore(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", fmt.Sprintf("format=%q: use json or csv", format)))
		return
	}
	q, err := s.parseSearchParams(r.URL.Query(), format == "csv")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, ok := s.store.(store.Insights)
	if !ok {
		s.fail(w, r, errorf(http.StatusNotImplemented, "not_implemented", "this store backend does not search conversations"))
		return
	}
	q.Tenant = scopeOf(r.Context())
	found, err := in.Search(r.Context(), q)
	if errors.Is(err, store.ErrBadQuery) {
		err = errorf(http.StatusBadRequest, "bad_query", err.Error())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "csv" {
		rows := [][]string{{"id", "pack", "status", "created_at", "resolved_at", "resolution_secs", "csat", "handoff", "modalities", "messages", "first_words"}}
		for _, f := range found {
			resolved, secs, csat := "", "", ""
			if f.ResolvedAt != nil {
				resolved = f.ResolvedAt.Format(time.RFC3339)
				secs = strconv.FormatFloat(f.ResolvedAt.Sub(f.CreatedAt).Seconds(), 'f', -1, 64)
			}
			if f.CSAT != nil {
				csat = strconv.Itoa(*f.CSAT)
			}
			rows = append(rows, []string{f.ID, f.Pack, f.Status, f.CreatedAt.Format(time.RFC3339), resolved, secs, csat,
				strconv.FormatBool(f.Handoff), strings.Join(modalityList(f.Modalities), "+"), strconv.Itoa(f.Messages), f.Snippet})
		}
		writeCSV(w, "parley-conversations.csv", rows)
		return
	}
	out := make([]foundView, len(found))
	for i, f := range found {
		out[i] = foundView{Found: f, ModalityNames: modalityList(f.Modalities), Multimodal: store.Multimodal(f.Modalities)}
	}
	body := map[string]any{"conversations": out, "next_before": nil}
	if len(found) == q.Limit && len(found) > 0 {
		body["next_before"] = found[len(found)-1].CreatedAt.Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, body)
}
