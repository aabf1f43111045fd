package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/check"
	"github.com/parleyhq/parley/perception/imagequal"
	"github.com/parleyhq/parley/perception/ocr"
)

func init() {
	Register(&Command{Name: "check", Summary: "read and verify a photo of a bank check (JSON)", Run: runCheck})
}

// checkOutput is what `parley check` prints.
type checkOutput struct {
	File           string                 `json:"file"`
	IsCheck        bool                   `json:"is_check"`
	Message        string                 `json:"message,omitempty"`
	Amount         float64                `json:"amount"`
	CourtesyAmount float64                `json:"courtesy_amount"`
	LegalAmount    string                 `json:"legal_amount"`
	LegalValue     float64                `json:"legal_amount_value"`
	Payee          string                 `json:"payee"`
	Date           string                 `json:"date"`
	CheckNumber    string                 `json:"check_number"`
	Memo           string                 `json:"memo"`
	Routing        string                 `json:"routing"`
	Account        string                 `json:"account"`
	MICR           string                 `json:"micr"`
	Signature      bool                   `json:"signature"`
	Quality        imagequal.Report       `json:"quality"`
	Verification   []check.Verdict        `json:"verification"`
	Fields         map[string]check.Field `json:"fields"`
	Enhanced       bool                   `json:"enhanced"`
	Fingerprint    string                 `json:"fingerprint,omitempty"`
	Millis         int64                  `json:"ms"`
}

func runCheck(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("check", out)
	dataDir := fs.String("data", "", "data directory holding the fingerprints of deposited checks (duplicate detection)")
	deposit := fs.Bool("deposit", false, "remember this check as deposited (needs -data)")
	crops := fs.String("crops", "", "write the amount crop and the evidence of failed or uncertain verifications to this directory")
	today := fs.String("today", "", "judge the date as of this day (YYYY-MM-DD) instead of today")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: parley check [-data DIR] [-deposit] [-crops DIR] IMAGE", ErrUsage)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	img, _, err := imagequal.Decode(data, media.DefaultLimits().MaxPixels)
	if err != nil {
		return err
	}
	pool, err := ocr.NewPool(1)
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	opts := check.Options{}
	if *today != "" {
		t, err := time.Parse(time.DateOnly, *today)
		if err != nil {
			return fmt.Errorf("%w: -today: %v", ErrUsage, err)
		}
		opts.Now = func() time.Time { return t }
	}
	var store *check.FileStore
	if *dataDir != "" {
		store = check.NewFileStore(*dataDir)
		opts.Store = store
	}
	start := time.Now()
	rd, err := check.NewReader(pool, opts).Read(ctx, img)
	if err != nil && !errors.Is(err, check.ErrNotCheck) {
		return err
	}
	o := checkOutput{File: pos[0], IsCheck: rd.IsCheck, Quality: rd.Quality, Millis: time.Since(start).Milliseconds()}
	if !rd.IsCheck {
		o.Message = check.NotCheckText
	} else {
		if !rd.Quality.Readable && !rd.Confirmed() {
			o.Message = rd.Quality.Instruction
		}
		o.Amount, o.CourtesyAmount, o.LegalAmount, o.LegalValue = rd.Amount, rd.CourtesyAmount, rd.Legal.Text, rd.LegalAmount
		o.Payee, o.Date, o.CheckNumber, o.Memo = rd.Payee.Text, rd.Date.Text, rd.CheckNumber.Text, rd.Memo.Text
		o.Routing, o.Account, o.Signature = rd.Routing.Text, rd.Account.Text, rd.Signature
		if rd.MICR != nil {
			o.MICR = rd.MICR.Text
		}
		o.Verification, o.Enhanced, o.Fingerprint = rd.Verification, rd.Enhanced, rd.Fingerprint
		o.Fields = map[string]check.Field{"amount": rd.Courtesy, "legal_amount": rd.Legal, "payee": rd.Payee,
			"date": rd.Date, "check_number": rd.CheckNumber, "memo": rd.Memo, "routing": rd.Routing, "account": rd.Account}
		if *crops != "" {
			if err := writeCrops(*crops, rd); err != nil {
				return err
			}
		}
		if *deposit {
			if store == nil {
				return fmt.Errorf("%w: -deposit needs -data", ErrUsage)
			}
			if err := store.Add(ctx, check.RecordOf(rd, time.Now(), filepath.Base(pos[0]))); err != nil {
				return err
			}
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}

func writeCrops(dir string, rd *check.Reading) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if b := check.CropPNG(rd.Document(), rd.Courtesy.Box.Union(rd.Legal.Box)); b != nil {
		if err := os.WriteFile(filepath.Join(dir, "amount.png"), b, 0o644); err != nil {
			return err
		}
	}
	for _, v := range rd.Verification {
		if v.Evidence != nil {
			if err := os.WriteFile(filepath.Join(dir, v.Name+".png"), v.Evidence, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
