package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/store/sqlite"
	"github.com/parleyhq/parley/store/storetest"
)

// benchConversations is the size of the generated store the insight benchmarks read.
const benchConversations = 100000

// BenchmarkInsights100k measures the dashboard's stats queries and the explorer's searches over a
// generated store of 100,000 conversations. The store is generated once into the temporary
// directory and kept there (parley-insights-bench-*), since writing it takes far longer than the
// queries; delete it to regenerate.
func BenchmarkInsights100k(b *testing.B) {
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("parley-insights-bench-%d-v1", benchConversations))
	path := filepath.Join(dir, "parley.db")
	fresh := false
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		os.RemoveAll(dir)
		fresh = true
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if fresh {
		ts := storetest.GenerateTraffic(benchConversations, 1, storetest.BenchTrafficEnd.Add(-storetest.BenchTrafficSpan), storetest.BenchTrafficSpan)
		if err := storetest.StoreTraffic(ctx, s, ts, 256); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchInsights(b, s)
}
