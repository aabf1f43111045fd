package queue_test

import (
	"testing"

	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/queue/queuetest"
)

func TestMemory(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, opts queue.Options) queue.Queue {
		q := queue.NewMemory(opts)
		t.Cleanup(func() { q.Close() })
		return q
	})
}

func TestValidSubject(t *testing.T) {
	tests := []struct {
		subject string
		ok      bool
	}{
		{"perception", true},
		{"perception.image", true},
		{"a-b_c.D9", true},
		{"", false},
		{"a..b", false},
		{"a.", false},
		{".a", false},
		{"a b", false},
		{"a.*", false},
		{"a.>", false},
		{"é", false},
	}
	for _, tc := range tests {
		t.Run(tc.subject, func(t *testing.T) {
			if err := queue.ValidSubject(tc.subject); (err == nil) != tc.ok {
				t.Errorf("ValidSubject(%q) = %v, want ok=%v", tc.subject, err, tc.ok)
			}
		})
	}
}
