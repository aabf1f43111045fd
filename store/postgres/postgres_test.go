package postgres_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
	"github.com/parleyhq/parley/store/storetest"
)

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMigrateTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	dsn := srv.FreshDSN(t)
	for range 2 {
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestBlobConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.RunBlobs(t, func(t *testing.T) store.Blobs {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.Blobs()
	})
}

func TestDepositConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.RunDeposits(t, func(t *testing.T) store.Deposits {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestStageResultConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.RunStageResults(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestOrderConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	srv := pgtest.Start(t)
	storetest.RunOrders(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), srv.SchemaDSN(t, storetest.Name(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
