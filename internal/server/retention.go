package server

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/parleyhq/parley/store"
)

// RetentionEvery is how often the server deletes media past each tenant's retention period.
var RetentionEvery = 10 * time.Minute

// startRetention runs the retention sweep now and then every RetentionEvery until Close, when
// any tenant has a retention period.
func (s *Server) startRetention() {
	keep := false
	for _, t := range s.cfg.Tenants {
		keep = keep || t.Retention > 0
	}
	if !keep {
		return
	}
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		tick := time.NewTicker(RetentionEvery)
		defer tick.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), RetentionEvery)
			if n, err := s.SweepRetention(ctx); err != nil {
				s.log.Error("retention sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("retention sweep deleted media", "blobs", n)
			}
			cancel()
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
}

// SweepRetention deletes, for every tenant with a retention period, the media blobs that only its
// messages older than the period reference; the messages' text, observations and the state stay.
// It returns how many blobs it deleted.
func (s *Server) SweepRetention(ctx context.Context) (int, error) {
	ret, ok := s.store.(store.Retention)
	if !ok {
		return 0, nil
	}
	names := make([]string, 0, len(s.cfg.Tenants))
	for n, t := range s.cfg.Tenants {
		if t.Retention > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	deleted := 0
	var errs []error
	for _, n := range names {
		hashes, err := ret.ExpireMedia(ctx, n, s.now().Add(-s.cfg.Tenants[n].Retention))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, h := range hashes {
			switch err := s.blobs.Delete(ctx, h); {
			case err == nil:
				deleted++
			case !errors.Is(err, store.ErrNotFound):
				errs = append(errs, err)
			}
		}
	}
	return deleted, errors.Join(errs...)
}
