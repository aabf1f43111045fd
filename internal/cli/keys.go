package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/backend"
)

func init() {
	Register(&Command{Name: "keys create", Summary: "make an API key for a tenant (--tenant, --kind publishable|secret); shown once", Run: runKeysCreate})
	Register(&Command{Name: "keys list", Summary: "list API keys (--tenant to keep one tenant's)", Run: runKeysList})
	Register(&Command{Name: "keys revoke", Summary: "revoke an API key by id, at once on every node", Run: runKeysRevoke})
	Register(&Command{Name: "keys rotate", Summary: "give an API key a new secret (the old one stops working)", Run: runKeysRotate})
}

// storeFlags are the flags of the commands that open the configured store.
type storeFlags struct{ config, data *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		config: fs.String("config", "", "YAML config file (its store section is used)"),
		data:   fs.String("data", "", "data directory (default ./data)"),
	}
}

// adminStore is the store with what the credential and erase commands need.
type adminStore interface {
	store.Store
	auth.StaffStore
	store.Auditor
	store.Retention
}

// open opens the configured store and its blobs; the caller closes the store.
func (f storeFlags) open(ctx context.Context) (adminStore, store.Blobs, error) {
	cfg, err := loadConfig(*f.config, "", *f.data)
	if err != nil {
		return nil, nil, err
	}
	s, blobs, err := backend.Open(ctx, backend.Config{Driver: cfg.Store.Driver, DSN: cfg.Store.DSN, DataDir: cfg.DataDir, Blobs: cfg.Store.Blobs})
	if err != nil {
		return nil, nil, err
	}
	a, ok := s.(adminStore)
	if !ok {
		s.Close()
		return nil, nil, errors.New("this store backend keeps no keys")
	}
	return a, blobs, nil
}

func runKeysCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("keys create", out)
	tenant := fs.String("tenant", "", "tenant the key belongs to (required)")
	kind := fs.String("kind", store.KeySecret, "publishable (customer API only) or secret (every API)")
	sf := addStoreFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenant == "" {
		return fmt.Errorf("%w: --tenant is required", ErrUsage)
	}
	s, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	ring := &auth.Keyring{Store: s}
	token, k, err := ring.Create(ctx, *tenant, *kind)
	if err != nil {
		return err
	}
	s.AddAudit(ctx, &store.AuditEntry{Tenant: k.Tenant, Actor: "cli", Action: "key_create", Detail: k.ID + " " + k.Kind})
	fmt.Fprintf(out, "created %s key %s for tenant %s\nstore it now, it is not shown again:\n%s\n", k.Kind, k.ID, k.Tenant, token)
	return nil
}

func runKeysList(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("keys list", out)
	tenant := fs.String("tenant", "", "only this tenant's keys")
	sf := addStoreFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := s.Keys(ctx, *tenant)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tKIND\tCREATED\tSTATE")
	for _, k := range keys {
		state := "active"
		if k.RotatedAt != nil {
			state = "rotated " + k.RotatedAt.Format(time.RFC3339)
		}
		if k.RevokedAt != nil {
			state = "revoked " + k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Kind, k.CreatedAt.Format(time.RFC3339), state)
	}
	return tw.Flush()
}

// keyIDArg is the one positional argument of revoke and rotate.
func keyIDArg(name string, fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("%w: parley %s ID (the id from parley keys list)", ErrUsage, name)
	}
	return pos[0], nil
}

func runKeysRevoke(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("keys revoke", out)
	sf := addStoreFlags(fs)
	id, err := keyIDArg("keys revoke", fs, args)
	if err != nil {
		return err
	}
	s, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	k, err := (&auth.Keyring{Store: s}).Revoke(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no key %q (see parley keys list)", id)
	}
	if err != nil {
		return err
	}
	s.AddAudit(ctx, &store.AuditEntry{Tenant: k.Tenant, Actor: "cli", Action: "key_revoke", Detail: k.ID})
	fmt.Fprintf(out, "revoked %s key %s of tenant %s\n", k.Kind, k.ID, k.Tenant)
	return nil
}

func runKeysRotate(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("keys rotate", out)
	sf := addStoreFlags(fs)
	id, err := keyIDArg("keys rotate", fs, args)
	if err != nil {
		return err
	}
	s, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	token, k, err := (&auth.Keyring{Store: s}).Rotate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no key %q (see parley keys list)", id)
	}
	if err != nil {
		return err
	}
	s.AddAudit(ctx, &store.AuditEntry{Tenant: k.Tenant, Actor: "cli", Action: "key_rotate", Detail: k.ID})
	fmt.Fprintf(out, "rotated %s key %s of tenant %s; the old secret no longer works\nstore it now, it is not shown again:\n%s\n", k.Kind, k.ID, k.Tenant, token)
	return nil
}
