package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
)

// TestSignInThrottled sends a burst of wrong passwords: after the free failures the email is
// locked out with 429 and Retry-After, the same for an email no account has; once the lock-out
// ends the right password signs in and clears the email's failures.
func TestSignInThrottled(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	addStaff(t, cs, "acme", "agent@acme.test", store.RoleStaffAgent)
	f := newFixture(t, dir, server.Options{})
	try := func(email, password string) (int, string) {
		t.Helper()
		code, body := f.call("POST", "/v1/auth/session", "", map[string]string{"email": email, "password": password})
		var out struct{ Error struct{ Code string } }
		json.Unmarshal(body, &out)
		return code, out.Error.Code
	}
	for _, email := range []string{"nobody@acme.test", "agent@acme.test"} {
		for i := range 5 {
			if code, errCode := try(email, "wrong password"); code != 401 || errCode != "sign_in_failed" {
				t.Fatalf("%s, wrong password %d: %d %s, want 401", email, i+1, code, errCode)
			}
		}
		if code, errCode := try(email, "wrong password"); code != 429 || errCode != "too_many_sign_ins" {
			t.Fatalf("%s, the sixth wrong password: %d %s, want 429 too_many_sign_ins", email, code, errCode)
		}
	}
	// The lock-out holds for the right password too, however the email is typed.
	if code, _ := try("AGENT@acme.test ", "correct horse battery"); code != 429 {
		t.Fatalf("the right password while locked out: %d, want 429", code)
	}
	resp, err := http.Post(f.http.URL+"/v1/auth/session", "application/json",
		bytes.NewReader([]byte(`{"email":"agent@acme.test","password":"x"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	after, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || err != nil || after < 1 || after > 2 {
		t.Fatalf("locked out: %d Retry-After %q, want 429 and 1 or 2 s", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	time.Sleep(time.Duration(after)*time.Second + 100*time.Millisecond)
	if code, errCode := try("agent@acme.test", "correct horse battery"); code != 200 {
		t.Fatalf("the right password after the lock-out: %d %s, want 200", code, errCode)
	}
	// The success cleared the email's failures: the next wrong password is one of five again.
	if code, _ := try("agent@acme.test", "wrong password"); code != 401 {
		t.Fatalf("a wrong password after signing in: %d, want 401", code)
	}
}
