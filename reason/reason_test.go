package reason_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/reason"
)

func library(t *testing.T) *kb.Library {
	t.Helper()
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestLocalFindsArticle(t *testing.T) {
	l := reason.NewLocal(library(t))
	tests := []struct{ pack, q, want string }{
		{"bank", "when are your branches open on saturday", "hours"},
		{"bank", "how much is the overdraft fee", "fees"},
		{"telecom", "when is my bill due", "billing"},
		{"appliances", "how long is the warranty on the motor", "warranty"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			a, err := l.Respond(context.Background(), reason.Query{Pack: tc.pack, Text: tc.q})
			if err != nil || a.SourceID != tc.want || !a.Confident {
				t.Fatalf("got %+v, %v; want source %s", a, err, tc.want)
			}
		})
	}
	if _, err := l.Respond(context.Background(), reason.Query{Pack: "bank", Text: "zebra quantum"}); err == nil {
		t.Fatal("answered nonsense")
	}
}
