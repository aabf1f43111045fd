package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/store/postgres/pgtest"
)

// node is one `parley serve` process.
type node struct {
	base string
	log  *syncBuffer
	cmd  *exec.Cmd
}

// startNode runs the built binary as a server on a free loopback port over the PostgreSQL
// database dsn, with a data directory of its own; args are added to `parley serve`'s.
func startNode(t *testing.T, bin, dsn string, args ...string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log := &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", t.TempDir()}, args...)...)
	// The load below comes from one loopback address, which the per-address rate limit exists to
	// slow down: these nodes serve it unthrottled.
	cmd.Env = append(os.Environ(), "PARLEY_STORE_DRIVER=postgres", "PARLEY_STORE_DSN="+dsn,
		"PARLEY_RATE_ADDRESS=off", "PARLEY_RATE_KEY=off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	n := &node{base: "http://" + addr, log: log, cmd: cmd}
	for i := 0; ; i++ {
		if resp, err := http.Get(n.base + "/healthz"); err == nil {
			resp.Body.Close()
			return n
		}
		if i > 600 {
			t.Fatalf("node did not start:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildParley builds cmd/parley into dir.
func buildParley(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "parley")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/parley").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// call sends a request and decodes the JSON answer into out (when not nil); it fails the test on
// any status but 200 and 201.
func (n *node) call(t *testing.T, method, path, contentType string, body io.Reader, out any) {
	t.Helper()
	req, err := http.NewRequest(method, n.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s on %s: %s %s", method, path, n.base, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

func (n *node) say(t *testing.T, id, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	n.call(t, "POST", "/v1/conversations/"+id+"/messages", "application/json", bytes.NewReader(body), nil)
}

// photo sends a check photo and returns the reply's text.
func (n *node) photo(t *testing.T, id string, photo []byte) string {
	t.Helper()
	return n.upload(t, id, "image", "check.jpg", photo)
}

// upload sends one file as the message part field and returns the reply's text.
func (n *node) upload(t *testing.T, id, field, name string, data []byte) string {
	t.Helper()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	var res struct {
		Reply struct {
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"reply"`
	}
	n.call(t, "POST", "/v1/conversations/"+id+"/messages", mw.FormDataContentType(), &form, &res)
	var text []string
	for _, p := range res.Reply.Parts {
		text = append(text, p.Text)
	}
	return strings.Join(text, " ")
}

// view is what GET /v1/conversations/{id} shows, kept to compare nodes.
type view struct {
	Status   string          `json:"status"`
	Version  int64           `json:"version"`
	Handoff  json.RawMessage `json:"handoff"`
	State    json.RawMessage `json:"state"`
	Messages []struct {
		ID    string            `json:"id"`
		Seq   int               `json:"seq"`
		Role  string            `json:"role"`
		Text  string            `json:"text"`
		Reply json.RawMessage   `json:"reply"`
		URLs  map[string]string `json:"urls"`
	} `json:"messages"`
}

func (n *node) view(t *testing.T, id string) view {
	t.Helper()
	var v view
	n.call(t, "GET", "/v1/conversations/"+id, "", nil, &v)
	return v
}

// inHandoffs reports whether the node's human queue holds the conversation.
func (n *node) inHandoffs(t *testing.T, id string) bool {
	t.Helper()
	var q struct {
		Handoffs []struct {
			ID string `json:"id"`
		} `json:"handoffs"`
	}
	n.call(t, "GET", "/v1/handoffs", "", nil, &q)
	for _, h := range q.Handoffs {
		if h.ID == id {
			return true
		}
	}
	return false
}

// TestTwoNodesOneDatabase runs two `parley serve` processes on one PostgreSQL database and sends
// the turns of one conversation alternating between them: state, handoff, events and blobs agree
// from either node, and a turn on one node never loses what the other did.
func TestTwoNodesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts PostgreSQL and two servers; skipped under -short")
	}
	pg := pgtest.Start(t)
	dsn := pg.FreshDSN(t)
	work := t.TempDir()
	bin := buildParley(t, work)
	a, b := startNode(t, bin, dsn), startNode(t, bin, dsn)
	if out, err := exec.Command(bin, "gen", "checks", "--n", "1", "--seed", "11", "--degrade", "photo", "--out", work).CombinedOutput(); err != nil {
		t.Fatalf("gen checks: %v\n%s", err, out)
	}
	photo, err := os.ReadFile(filepath.Join(work, "check_0000_photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}

	var created struct{ ID string }
	a.call(t, "POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`), &created)
	id := created.ID
	a.say(t, id, "I would like to deposit a check")

	// The photo goes to node B; node A sees the amount read from it and serves the photo.
	b.photo(t, id, photo)
	v := a.view(t, id)
	var st struct {
		Slots map[string]struct {
			Value any `json:"value"`
		} `json:"slots"`
	}
	if err := json.Unmarshal(v.State, &st); err != nil {
		t.Fatal(err)
	}
	if amt, _ := st.Slots["amount"].Value.(float64); amt != 1030 {
		t.Fatalf("node A: amount %v after the photo on node B, want 1030", st.Slots["amount"].Value)
	}
	var photoURL string
	for _, m := range v.Messages {
		for _, u := range m.URLs {
			photoURL = u
		}
	}
	resp, err := http.Get(a.base + photoURL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if photoURL == "" || !bytes.Equal(served, photo) {
		t.Fatalf("node A served %d bytes at %q for the %d-byte photo stored on node B (%s)", len(served), photoURL, len(photo), resp.Status)
	}

	// An event stream on node A shows the handoff node B makes.
	events := make(chan string, 64)
	req, _ := http.NewRequest("GET", a.base+"/v1/conversations/"+id+"/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- ev
			}
		}
		close(events)
	}()
	if ev := <-events; ev != "ready" {
		t.Fatalf("first event %q, want ready", ev)
	}
	b.say(t, id, "I want to talk to a human")
	seen := map[string]bool{}
	deadline := time.After(15 * time.Second)
	for !seen["handoff"] || !seen["state"] {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream ended")
			}
			seen[ev] = true
		case <-deadline:
			t.Fatalf("node A's event stream saw %v, not node B's handoff", seen)
		}
	}
	if !seen["message"] {
		t.Errorf("node A's stream missed the message event of node B's turn (saw %v)", seen)
	}
	if !a.inHandoffs(t, id) {
		t.Fatal("the handoff made on node B is not in node A's queue")
	}
	a.say(t, id, "hello?")
	if !b.inHandoffs(t, id) {
		t.Fatal("a turn on node A dropped the handoff made on node B")
	}
	va, vb := a.view(t, id), b.view(t, id)
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("the nodes disagree:\nA %+v\nB %+v", va, vb)
	}
	customer := 0
	for _, m := range va.Messages {
		if m.Role == "customer" {
			customer++
		}
		if len(m.Reply) == 0 {
			t.Errorf("message %d has no reply", m.Seq)
		}
	}
	if customer != 4 || va.Status != "handoff" || va.Version != 5 {
		t.Fatalf("%d customer messages, status %s, version %d; want 4, handoff, 5", customer, va.Status, va.Version)
	}

	// Turns sent to both nodes at once are each applied once, none lost.
	a.call(t, "POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`), &created)
	busy := created.ID
	const turns = 12
	var wg sync.WaitGroup
	for i := range turns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			[]*node{a, b}[i%2].say(t, busy, fmt.Sprintf("what is my balance %d", i))
		}()
	}
	wg.Wait()
	va, vb = a.view(t, busy), b.view(t, busy)
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("the nodes disagree after concurrent turns:\nA %+v\nB %+v", va, vb)
	}
	var counted struct {
		Turns int `json:"turns"`
	}
	json.Unmarshal(va.State, &counted)
	if counted.Turns != turns || len(va.Messages) != turns || va.Version != turns+1 {
		t.Fatalf("%d turns in the state, %d messages, version %d; want %d, %d, %d", counted.Turns, len(va.Messages), va.Version, turns, turns, turns+1)
	}

	// A check deposited with its photo read on node B and the deposit confirmed on node A is
	// flagged when it is deposited again through node B with the photo read on node A.
	for i, nodes := range [][2]*node{{a, b}, {b, a}} {
		talk, read := nodes[0], nodes[1]
		talk.call(t, "POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`), &created)
		talk.say(t, created.ID, "I would like to deposit a check")
		reply := read.photo(t, created.ID, photo)
		if warned := strings.Contains(reply, "was deposited"); warned != (i == 1) {
			t.Fatalf("deposit %d: the photo's reply %q (a second deposit must be flagged, a first must not)", i+1, reply)
		}
		talk.say(t, created.ID, "yes")
		if v := read.view(t, created.ID); v.Status != "resolved" {
			t.Fatalf("deposit %d: status %s after yes, want resolved", i+1, v.Status)
		}
	}
}
