package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
	"github.com/parleyhq/parley/store/storetest"
)

func openTest(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(storetest.Dir(t), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTest)
}

func TestStageResultConformance(t *testing.T) { storetest.RunStageResults(t, openTest) }

func TestOrderConformance(t *testing.T) { storetest.RunOrders(t, openTest) }
