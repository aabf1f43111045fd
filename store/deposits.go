package store

import (
	"context"
	"time"
)

// Deposit is a deposited check as remembered to refuse a second deposit of it: its MICR identity
// when read, its amount and a perceptual fingerprint of its image.
type Deposit struct {
	Fingerprint string    `json:"fingerprint"`
	Routing     string    `json:"routing,omitempty"`
	Account     string    `json:"account,omitempty"`
	CheckNumber string    `json:"check_number,omitempty"`
	Amount      float64   `json:"amount"`
	At          time.Time `json:"at"`
	// Ref names what the deposit belongs to (the conversation).
	Ref string `json:"ref,omitempty"`
}

// Identified reports whether the deposit's MICR identity (routing, account, check number) is known.
func (d Deposit) Identified() bool { return d.Routing != "" && d.Account != "" && d.CheckNumber != "" }

// Deposits remembers deposited checks for every process sharing the store.
type Deposits interface {
	// AddDeposit remembers a deposit.
	AddDeposit(ctx context.Context, d Deposit) error
	// DepositCandidates returns the earlier deposits that may be the same check as d, oldest
	// first: those with d's MICR identity when d has one, otherwise those of d's amount (the
	// caller compares their fingerprints).
	DepositCandidates(ctx context.Context, d Deposit) ([]Deposit, error)
}
