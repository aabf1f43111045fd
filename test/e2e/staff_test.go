package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
)

// TestStaffPagesInChromium runs staff.mjs: the agent console and dashboard refuse anonymous access
// and work after an agent signs in, with the customer's card number masked; the customer web chat
// works with the tenant's publishable key.
func TestStaffPagesInChromium(t *testing.T) {
	env := newBrowserEnv(t)
	dir := t.TempDir()
	const email, password, card = "agent@acme.test", "correct horse battery", "4111 1111 1111 1111"
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&auth.Staff{Store: db}).Add(t.Context(), "acme", email, store.RoleStaffAgent, password); err != nil {
		t.Fatal(err)
	}
	key, _, err := (&auth.Keyring{Store: db}).Create(t.Context(), "acme", store.KeyPublishable)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	base, _ := serveData(t, dir)
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	conv := call("POST", "/v1/conversations", map[string]string{"pack": "bank"})["id"].(string)
	call("POST", "/v1/conversations/"+conv+"/messages", map[string]string{"text": "the machine kept my card " + card})
	call("POST", "/v1/conversations/"+conv+"/handoff", map[string]string{"reason": "card kept"})

	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "staff.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "PARLEY_SCREENSHOTS="+env.shots,
		"EMAIL="+email, "PASSWORD="+password, "CONV="+conv, "CARD="+card, "PK="+key)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("staff scenario failed: %v", err)
	}
}
