package server

import (
	"context"
	"net/http"
	"sort"

	"github.com/parleyhq/parley/store"
)

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	cs, err := s.store.Conversations(r.Context(), store.Filter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byStatus := map[string]int{}
	byPack := map[string]int{}
	var csatSum, csatN int
	var resolution []float64
	packRes := map[string][]float64{}
	for _, c := range cs {
		byStatus[c.Status]++
		byPack[c.Pack]++
		if c.CSAT != nil {
			csatSum += c.CSAT.Score
			csatN++
		}
		if c.ResolvedAt != nil {
			resolution = append(resolution, c.ResolvedAt.Sub(c.CreatedAt).Seconds())
			packRes[c.Pack] = append(packRes[c.Pack], c.ResolvedAt.Sub(c.CreatedAt).Seconds())
		}
	}
	mix, messages, err := s.modalityMix(r.Context(), cs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{
		"conversations":          len(cs),
		"messages":               messages,
		"by_status":              byStatus,
		"by_pack":                byPack,
		"csat_count":             csatN,
		"csat_average":           nil,
		"resolved":               len(resolution),
		"median_resolution_secs": nil,
		"modality_mix":           mix,
		"edge_bytes":             s.edgeTotals(),
	}
	if csatN > 0 {
		out["csat_average"] = float64(csatSum) / float64(csatN)
	}
	if len(resolution) > 0 {
		sort.Float64s(resolution)
		out["median_resolution_secs"] = median(resolution)
	}
	byPackRes := map[string]float64{}
	for p, v := range packRes {
		sort.Float64s(v)
		byPackRes[p] = median(v)
	}
	out["median_resolution_secs_by_pack"] = byPackRes
	writeJSON(w, http.StatusOK, out)
}

func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// modalityMix counts customer message parts by kind across conversations.
func (s *Server) modalityMix(ctx context.Context, cs []*store.Conversation) (map[string]int, int, error) {
	mix := map[string]int{"text": 0, "image": 0, "audio": 0, "video": 0}
	n := 0
	for _, c := range cs {
		msgs, err := s.store.Messages(ctx, c.ID)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range msgs {
			if m.Role != store.RoleCustomer {
				continue
			}
			n++
			if m.Text != "" {
				mix["text"]++
			}
			for _, p := range m.Parts {
				mix[p.Kind]++
			}
		}
	}
	return mix, n, nil
}
