// Package pgtest runs a throwaway PostgreSQL server for tests: initdb into a temporary directory and
// postgres listening only on a unix socket there, stopped when the test ends. It skips the test
// (with the reason) when the PostgreSQL server binaries are not installed; on Debian they come with
// the postgresql package.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running test server.
type Server struct {
	dir string
	n   atomic.Int64
}

// Start starts a server for t, or skips t when PostgreSQL is not installed. The server stops and its
// files are removed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		t.Skipf("PostgreSQL server not installed (apt-get install postgresql): %v", err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// postgres refuses to run as root: run it as the postgres system user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "parley-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	data := filepath.Join(dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	var log bytes.Buffer
	srv := command("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			srv.Process.Kill()
			<-exited
		}
	})
	s := &Server{dir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.dsn(""))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			break
		}
		select {
		case <-exited:
			t.Fatalf("postgres exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *Server) dsn(schema string) string {
	d := fmt.Sprintf("host=%s user=postgres dbname=postgres sslmode=disable", s.dir)
	if schema != "" {
		d += " search_path=" + schema
	}
	return d
}

// DSN returns the connection string of the database as a whole (the public schema).
func (s *Server) DSN() string { return s.dsn("") }

// FreshDSN creates a new empty schema and returns a connection string whose search_path is that
// schema, so each caller gets isolated tables in the same server.
func (s *Server) FreshDSN(t testing.TB) string {
	t.Helper()
	return s.SchemaDSN(t, fmt.Sprintf("pgtest_%d", s.n.Add(1)))
}

// SchemaDSN creates the schema name if it does not exist and returns a connection string using it.
// name must be a plain identifier (letters, digits, underscores).
func (s *Server) SchemaDSN(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.dsn(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return s.dsn(name)
}

// findBin returns the directory of the newest installed initdb and postgres.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb and postgres under /usr/lib/postgresql/*/bin or in PATH")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
