package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
	"github.com/parleyhq/parley/store/storetest"
)

// BenchmarkInsights100k measures the dashboard's stats queries and the explorer's searches over a
// generated store of 100,000 conversations on a throwaway PostgreSQL server. Writing the store
// takes far longer than the queries; it happens once, before the sub-benchmarks.
func BenchmarkInsights100k(b *testing.B) {
	ctx := context.Background()
	srv := pgtest.Start(b)
	dsn := srv.FreshDSN(b)
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ts := storetest.GenerateTraffic(100000, 1, storetest.BenchTrafficEnd.Add(-storetest.BenchTrafficSpan), storetest.BenchTrafficSpan)
	if err := storetest.StoreTraffic(ctx, s, ts, 32); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would after a day of traffic: statistics for the planner and a visibility map
	// for index-only scans.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE conversations"); err != nil {
		b.Fatal(err)
	}
	conn.Close(ctx)
	storetest.BenchInsights(b, s)
}
