package postgres_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
	"github.com/parleyhq/parley/store/storetest"
)

func TestInsightsConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.RunInsights(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
