package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/auth"
)

// fakeClock is a settable time for the sign-in throttle.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestThrottle() (*signinThrottle, *fakeClock) {
	th := newSigninThrottle(nil)
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th.now = c.now
	return th, c
}

// failOnce runs one sign-in with a wrong password and reports whether it was let through.
func failOnce(th *signinThrottle, email, addr string) bool {
	if th.begin(email, addr) > 0 {
		return false
	}
	th.end(email, addr, auth.ErrSignIn)
	return true
}

func TestSigninThrottleLockOutDoubles(t *testing.T) {
	th, clock := newTestThrottle()
	for i := range signinFreeEmail {
		if !failOnce(th, "email:a", "addr:1") {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		got := th.begin("email:a", "addr:1")
		if got != want {
			t.Fatalf("locked out for %v, want %v", got, want)
		}
		clock.t = clock.t.Add(got)
		if !failOnce(th, "email:a", "addr:1") {
			t.Fatal("refused once the lock-out ended")
		}
	}
	// Another email from the same address is not locked out by the first's failures.
	if th.begin("email:b", "addr:1") != 0 {
		t.Fatal("another email locked out")
	}
	th.end("email:b", "addr:1", nil)
	// Quiet for long enough, the email's failures are forgotten.
	clock.t = clock.t.Add(signinMaxLock + signinForget + time.Second)
	for i := range signinFreeEmail {
		if !failOnce(th, "email:a", "addr:2") {
			t.Fatalf("after a quiet hour, failure %d refused", i+1)
		}
	}
}

func TestSigninThrottleAddressAndSuccess(t *testing.T) {
	th, _ := newTestThrottle()
	for i := range signinFreeAddr {
		if !failOnce(th, fmt.Sprintf("email:%d", i), "addr:1") {
			t.Fatalf("failure %d from one address refused", i+1)
		}
	}
	if th.begin("email:new", "addr:1") == 0 {
		t.Fatal("an address past its free failures is not locked out")
	}
	if th.begin("email:new", "addr:2") != 0 {
		t.Fatal("another address locked out")
	}
	th.end("email:new", "addr:2", nil)

	for range signinFreeEmail - 1 {
		failOnce(th, "email:c", "addr:3")
	}
	th.begin("email:c", "addr:3")
	th.end("email:c", "addr:3", nil) // signed in
	for i := range signinFreeEmail {
		if !failOnce(th, "email:c", "addr:4") {
			t.Fatalf("after a success, failure %d refused", i+1)
		}
	}
}

func TestSigninThrottleParallelGuesses(t *testing.T) {
	th, _ := newTestThrottle()
	let := 0
	for range 50 { // 50 guesses in flight at once
		if th.begin("email:a", "addr:1") == 0 {
			let++
		}
	}
	if let != signinFreeEmail {
		t.Fatalf("%d parallel guesses let through, want %d", let, signinFreeEmail)
	}
}

func TestSigninThrottleBounded(t *testing.T) {
	th, _ := newTestThrottle()
	for i := range signinMaxKeys + 500 {
		failOnce(th, fmt.Sprintf("email:%d", i), fmt.Sprintf("addr:%d", i))
	}
	if n := len(th.recs); n > signinMaxKeys {
		t.Fatalf("%d records kept, want at most %d", n, signinMaxKeys)
	}
}
