package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
)

func init() {
	Register(&Command{Name: "staff add", Summary: "add a staff user for the console and dashboard (--tenant, --email, --role agent|admin; password on stdin)", Run: runStaffAdd})
}

// stdin is where staff add reads the password (tests replace it).
var stdin io.Reader = os.Stdin

func runStaffAdd(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("staff add", out)
	tenant := fs.String("tenant", store.DefaultTenant, "tenant the user works for")
	email := fs.String("email", "", "the user's email, used to sign in (required)")
	role := fs.String("role", store.RoleStaffAgent, "agent (numbers masked) or admin (everything, the audit trail too)")
	password := fs.String("password", "", "the password (default: the first line of stdin)")
	sf := addStoreFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", ErrUsage)
	}
	pw := *password
	if pw == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("%w: give the password on stdin or with --password", ErrUsage)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	s, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := (&auth.Staff{Store: s}).Add(ctx, *tenant, *email, *role, pw)
	if err != nil {
		return err
	}
	s.AddAudit(ctx, &store.AuditEntry{Tenant: u.Tenant, Actor: "cli", Action: "staff_add", Detail: u.Email + " " + u.Role})
	fmt.Fprintf(out, "staff user %s (%s) of tenant %s can sign in at /login.html\n", u.Email, u.Role, u.Tenant)
	return nil
}
