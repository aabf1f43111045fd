package server

import (
	"context"
	"encoding/json"

	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/check"
	"github.com/parleyhq/parley/perception/ocr"
	"github.com/parleyhq/parley/store"
)

// sharedDeposits is the check stage's record of deposited checks kept in a store several nodes
// share, so a check deposited through one node is flagged as deposited before on every node.
type sharedDeposits struct{ d store.Deposits }

var _ check.FingerprintStore = sharedDeposits{}

// Seen implements check.FingerprintStore.
func (s sharedDeposits) Seen(ctx context.Context, rec check.Record) (check.Record, bool, error) {
	cands, err := s.d.DepositCandidates(ctx, depositOf(rec))
	if err != nil {
		return check.Record{}, false, err
	}
	for _, c := range cands {
		if r := recordOf(c); rec.Same(r) {
			return r, true, nil
		}
	}
	return check.Record{}, false, nil
}

// Add implements check.FingerprintStore.
func (s sharedDeposits) Add(ctx context.Context, rec check.Record) error {
	return s.d.AddDeposit(ctx, depositOf(rec))
}

func depositOf(r check.Record) store.Deposit {
	return store.Deposit{Fingerprint: r.Fingerprint, Routing: r.Routing, Account: r.Account, CheckNumber: r.CheckNumber,
		Amount: r.Amount, At: r.Time, Ref: r.Ref}
}

func recordOf(d store.Deposit) check.Record {
	return check.Record{Fingerprint: d.Fingerprint, Routing: d.Routing, Account: d.Account, CheckNumber: d.CheckNumber,
		Amount: d.Amount, Time: d.At, Ref: d.Ref}
}

// shareDeposits rebuilds the check stage over the store's deposit records when the store keeps
// them for several nodes; the embedded store leaves the stage's own file in the data directory.
func (s *Server) shareDeposits(ctx context.Context, stages []perception.Stage) {
	d, ok := s.store.(store.Deposits)
	if !ok {
		return
	}
	for i, st := range stages {
		if st.Name() != check.StageID {
			continue
		}
		pool, err := ocr.NewPool(0)
		if err != nil {
			s.log.Warn("deposited checks stay in the data directory", "err", err)
			return
		}
		if c, ok := st.(perception.Closer); ok {
			c.Close(ctx)
		}
		stages[i] = check.NewStage(pool, check.Options{Store: sharedDeposits{d}})
	}
}

// storedDocuments returns the last check reading stored with the conversation's messages, for the
// check stage to record what was done with it, whichever node read it.
func (s *Server) storedDocuments(ctx context.Context, id string) []perception.Observation {
	msgs, err := s.store.Messages(ctx, id)
	if err != nil {
		s.log.WarnContext(ctx, "documents not read", "conversation", id, "err", err)
		return nil
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		var obs []struct {
			Kind       string            `json:"kind"`
			Value      json.RawMessage   `json:"value"`
			Confidence float64           `json:"confidence"`
			Source     perception.Source `json:"source"`
		}
		if len(msgs[i].Observations) == 0 || json.Unmarshal(msgs[i].Observations, &obs) != nil {
			continue
		}
		for j := len(obs) - 1; j >= 0; j-- {
			if o := obs[j]; o.Kind == perception.KindCheck {
				rd := new(check.Reading)
				if err := json.Unmarshal(o.Value, rd); err != nil {
					continue
				}
				return []perception.Observation{{Kind: o.Kind, Value: rd, Confidence: o.Confidence, Source: o.Source}}
			}
		}
	}
	return nil
}
