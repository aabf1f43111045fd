package conversation_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/store"
)

// BenchmarkTurn measures a text turn through the service over SQLite, with one node and with two
// nodes taking a conversation's turns in alternation (each turn then decodes the state the other
// node saved).
func BenchmarkTurn(b *testing.B) {
	for _, tc := range []struct {
		name  string
		nodes int
	}{{"one_node", 1}, {"two_nodes_alternating", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			c := newCluster(b)
			nodes := make([]*conversation.Service, tc.nodes)
			for i := range nodes {
				nodes[i] = c.node(b, nil)
			}
			ids := make([]string, 64)
			for i := range ids {
				created, err := nodes[0].Create(context.Background(), "", "bank")
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = created.ID
			}
			texts := []string{"what is my balance", "I lost my card", "what are your opening hours"}
			b.ResetTimer()
			for i := range b.N {
				msg := &store.Message{ConversationID: ids[i%len(ids)], Role: store.RoleCustomer, Text: texts[i%len(texts)]}
				if _, err := nodes[(i/len(ids))%tc.nodes].Deliver(context.Background(), msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
