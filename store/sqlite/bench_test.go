package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
)

// BenchmarkTurn measures one durable customer turn (AddMessage then SetReply, each committed with
// synchronous=FULL) with many conversations writing at once; turns/s is the figure to read.
func BenchmarkTurn(b *testing.B) {
	for _, conc := range []int{1, 16, 256} {
		// RunParallel starts parallelism*GOMAXPROCS goroutines, one conversation each.
		par := max(1, conc/runtime.GOMAXPROCS(0))
		b.Run(fmt.Sprintf("conversations=%d", par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "parley.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			reply := json.RawMessage(`{"parts":[{"type":"text","text":"Please send a photo of the front of the check."}],"style":{"rate_wpm":175}}`)
			var next atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprint("bench-", next.Add(1))
				if err := s.CreateConversation(ctx, &store.Conversation{ID: id, Pack: "bank"}); err != nil {
					b.Error(err)
					return
				}
				for i := 0; pb.Next(); i++ {
					m, err := s.AddMessage(ctx, &store.Message{ConversationID: id, Role: store.RoleCustomer,
						Text: "I want to deposit a check for $1,250.75", IdempotencyKey: fmt.Sprint(i)})
					if err != nil {
						b.Error(err)
						return
					}
					if err := s.SetReply(ctx, id, m.ID, reply, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
		})
	}
}

// BenchmarkReadConversation measures what a turn reads back: the conversation and its messages
// (ten, with replies), from concurrent readers.
func BenchmarkReadConversation(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const convs = 100
	for c := range convs {
		id := fmt.Sprint("read-", c)
		if err := s.CreateConversation(ctx, &store.Conversation{ID: id, Pack: "bank", State: json.RawMessage(`{"skill":"deposit_check"}`)}); err != nil {
			b.Fatal(err)
		}
		for i := range 10 {
			m, err := s.AddMessage(ctx, &store.Message{ConversationID: id, Role: store.RoleCustomer, Text: fmt.Sprint("message ", i)})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.SetReply(ctx, id, m.ID, json.RawMessage(`{"parts":[{"type":"text","text":"ok"}]}`), nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("read-", next.Add(1)%convs)
			if _, err := s.Conversation(ctx, id); err != nil {
				b.Error(err)
				return
			}
			if ms, err := s.Messages(ctx, id); err != nil || len(ms) != 10 {
				b.Errorf("Messages = %d, %v", len(ms), err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
