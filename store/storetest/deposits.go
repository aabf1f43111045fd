package storetest

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/store"
)

// RunDeposits runs the store.Deposits conformance suite; open follows the contract of Run.
func RunDeposits(t *testing.T, open func(t *testing.T) store.Deposits) {
	d := open(t)
	ctx := context.Background()
	micr := store.Deposit{Fingerprint: "aa", Routing: "011000015", Account: "123456789", CheckNumber: "1001", Amount: 1030, At: at(1), Ref: "c1"}
	plain := store.Deposit{Fingerprint: "bb", Amount: 250.5, At: at(2), Ref: "c2"}
	for _, dep := range []store.Deposit{micr, plain} {
		if err := d.AddDeposit(ctx, dep); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		query store.Deposit
		want  []store.Deposit
	}{
		{"same identity, other amount", store.Deposit{Routing: micr.Routing, Account: micr.Account, CheckNumber: micr.CheckNumber, Amount: 1}, []store.Deposit{micr}},
		{"other check number", store.Deposit{Routing: micr.Routing, Account: micr.Account, CheckNumber: "1002", Amount: 1030}, nil},
		{"no identity: by amount", store.Deposit{Fingerprint: "zz", Amount: 250.5}, []store.Deposit{plain}},
		{"no identity, other amount", store.Deposit{Amount: 99}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.DepositCandidates(ctx, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d candidates %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if !sameTime(g.At, w.At) {
					t.Errorf("At = %v, want %v", g.At, w.At)
				}
				g.At = w.At
				if g != w {
					t.Errorf("candidate %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
	// What one store remembered, the store reopened (another node) finds.
	got, err := open(t).DepositCandidates(ctx, micr)
	if err != nil || len(got) != 1 {
		t.Fatalf("after reopen: %d candidates, %v", len(got), err)
	}
}
