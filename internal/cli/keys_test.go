package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/backend"
)

var tokenRE = regexp.MustCompile(`[A-Za-z0-9_-]{24,}`)

func TestKeysCreateListRotateRevoke(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	if err := runKeysCreate(ctx, []string{"--data", data}, &out); !errors.Is(err, ErrUsage) {
		t.Fatalf("no --tenant: %v, want a usage error", err)
	}
	if err := runKeysCreate(ctx, []string{"--tenant", "acme", "--kind", "root", "--data", data}, &out); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
	out.Reset()
	if err := runKeysCreate(ctx, []string{"--tenant", "acme", "--data", data}, &out); err != nil {
		t.Fatal(err)
	}
	// The acceptance check takes the last long token of the output as the key.
	toks := tokenRE.FindAllString(out.String(), -1)
	secret := toks[len(toks)-1]
	if !strings.HasPrefix(secret, "sk_") {
		t.Fatalf("default kind is not secret: %q", out.String())
	}
	out.Reset()
	if err := runKeysCreate(ctx, []string{"--tenant", "globex", "--kind", "publishable", "--data", data}, &out); err != nil {
		t.Fatal(err)
	}
	toks = tokenRE.FindAllString(out.String(), -1)
	if pub := toks[len(toks)-1]; !strings.HasPrefix(pub, "pk_") {
		t.Fatalf("publishable: %q", out.String())
	}
	out.Reset()
	if err := runKeysList(ctx, []string{"--data", data}, &out); err != nil {
		t.Fatal(err)
	}
	list := out.String()
	_, id, _, _ := auth.ParseKey(secret)
	if !strings.Contains(list, id) || !strings.Contains(list, "globex") || strings.Contains(list, secret[16:]) {
		t.Fatalf("list shows the wrong keys or a secret:\n%s", list)
	}
	out.Reset()
	if err := runKeysRotate(ctx, []string{id, "--data", data}, &out); err != nil {
		t.Fatal(err)
	}
	toks = tokenRE.FindAllString(out.String(), -1)
	rotated := toks[len(toks)-1]
	out.Reset()
	if err := runKeysRevoke(ctx, []string{"--data", data, id}, &out); err != nil {
		t.Fatal(err)
	}
	if err := runKeysRevoke(ctx, []string{"--data", data, "nope"}, &out); err == nil {
		t.Fatal("revoking an unknown key succeeded")
	}
	s, _, err := backend.Open(ctx, backend.Config{DataDir: data, DSN: filepath.Join(data, "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ring := &auth.Keyring{Store: s.(store.Access)}
	if _, err := ring.Check(ctx, secret); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("the original secret: %v", err)
	}
	if _, err := ring.Check(ctx, rotated); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("the rotated secret after revoke: %v", err)
	}
	trail, _ := s.(store.Auditor).Audit(ctx, store.AuditFilter{Tenant: "acme"})
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "key_revoke,key_rotate,key_create" {
		t.Fatalf("audit trail %s", got)
	}
}

func TestStaffAddReadsPasswordFromStdin(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	defer func(old io.Reader) { stdin = old }(stdin)
	stdin = strings.NewReader("correct horse battery\n")
	var out bytes.Buffer
	if err := runStaffAdd(ctx, []string{"--tenant", "acme", "--email", "ann@acme.test", "--role", "admin", "--data", data}, &out); err != nil {
		t.Fatal(err)
	}
	if err := runStaffAdd(ctx, []string{"--email", "bob@acme.test", "--password", "short", "--data", data}, &out); err == nil {
		t.Fatal("a short password was accepted")
	}
	s, _, err := backend.Open(ctx, backend.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := &auth.Staff{Store: s.(auth.StaffStore)}
	if _, _, u, err := st.SignIn(ctx, "ann@acme.test", "correct horse battery"); err != nil || u.Role != store.RoleStaffAdmin || u.Tenant != "acme" {
		t.Fatalf("sign in with the password from stdin: %+v %v", u, err)
	}
}

func TestEraseRemovesConversationAndBlobs(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	s, blobs, err := backend.Open(ctx, backend.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := blobs.Put(ctx, strings.NewReader("a photo of a check"), 100)
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Conversation{Pack: "bank"}
	if err := s.CreateConversation(store.WithTenant(ctx, "acme"), c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMessage(ctx, &store.Message{ConversationID: c.ID, Role: store.RoleCustomer, Text: "deposit", Parts: []store.BlobRef{ref}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var out bytes.Buffer
	if err := runErase(ctx, []string{"--data", data}, &out); !errors.Is(err, ErrUsage) {
		t.Fatalf("no --conversation: %v", err)
	}
	if err := runErase(ctx, []string{"--conversation", "nope", "--data", data}, &out); err == nil {
		t.Fatal("erasing an unknown conversation succeeded")
	}
	if err := runErase(ctx, []string{"--conversation", c.ID, "--data", data, "--actor", "dpo@acme.test"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 blobs") {
		t.Fatalf("output %q", out.String())
	}
	s, blobs, err = backend.Open(ctx, backend.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Conversation(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the conversation is still there: %v", err)
	}
	if _, err := blobs.Open(ctx, ref.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the photo is still there: %v", err)
	}
	trail, _ := s.(store.Auditor).Audit(ctx, store.AuditFilter{Tenant: "acme", ConversationID: c.ID})
	if len(trail) != 1 || trail[0].Action != "erase" || trail[0].Actor != "dpo@acme.test" {
		t.Fatalf("audit record of the erase: %+v", trail)
	}
}
