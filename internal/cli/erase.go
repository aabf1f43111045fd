package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parleyhq/parley/store"
)

func init() {
	Register(&Command{Name: "erase", Summary: "remove a customer's conversation everywhere, its media included (--conversation ID)", Run: runErase})
}

// runErase deletes one conversation with its messages, stage results, edge counters and the blobs
// no other conversation references, and leaves a record in the audit trail.
func runErase(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("erase", out)
	id := fs.String("conversation", "", "the conversation to remove (required)")
	actor := fs.String("actor", "cli", "who asked, for the audit trail")
	sf := addStoreFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%w: --conversation is required", ErrUsage)
	}
	s, blobs, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Conversation(ctx, *id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no conversation %q", *id)
	}
	if err != nil {
		return err
	}
	n, err := store.Erase(ctx, s, blobs, *id)
	if err != nil {
		return err
	}
	if err := s.AddAudit(ctx, &store.AuditEntry{Tenant: c.Tenant, Actor: *actor, Action: "erase", ConversationID: *id,
		Detail: fmt.Sprintf("%d blobs deleted", n)}); err != nil {
		return err
	}
	fmt.Fprintf(out, "erased conversation %s of tenant %s and %d blobs no other conversation used\n", *id, c.Tenant, n)
	return nil
}
