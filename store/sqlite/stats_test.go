package sqlite_test

import (
	"testing"

	"github.com/parleyhq/parley/store/storetest"
)

func TestInsightsConformance(t *testing.T) {
	storetest.RunInsights(t, openTest)
}
