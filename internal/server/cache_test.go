package server

import (
	"testing"

	"github.com/parleyhq/parley/store"
)

func TestConvCacheKeepsBusyConversations(t *testing.T) {
	cc := newConvCache(2)
	mk := func(id string) *conv { return &conv{c: &store.Conversation{ID: id}} }
	pending := mk("a")
	pending.written = make(chan struct{}) // its reply is still on its way to the store
	cc.put("a", pending)
	busy := mk("b")
	busy.mu.Lock() // a turn is running
	cc.put("b", busy)
	cc.put("c", mk("c"))
	cc.put("d", mk("d"))
	if cc.get("a") == nil || cc.get("b") == nil {
		t.Fatal("evicted a conversation with work in flight")
	}
	if cc.get("c") != nil {
		t.Fatal("idle conversation beyond the limit kept")
	}
	close(pending.written)
	busy.mu.Unlock()
	cc.put("e", mk("e"))
	if cc.get("e") == nil {
		t.Fatal("the conversation just added was dropped")
	}
	if n := cc.order.Len(); n != 2 {
		t.Fatalf("%d conversations cached, want 2", n)
	}
}
