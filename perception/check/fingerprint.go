package check

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parleyhq/parley/perception/imagequal"
)

// fingerprintW and fingerprintH size the difference hash: 32×16 comparisons, 512 bits.
const fingerprintW, fingerprintH = 32, 16

// Fingerprint returns a perceptual difference hash (dHash, 512 bits, hex) of a rectified check,
// after its illumination is flattened, so two photos of the same check hash alike.
func Fingerprint(doc *image.Gray) string {
	mid := imagequal.Resize(doc, (fingerprintW+1)*8, fingerprintH*8)
	flat := imagequal.Enhance(mid, imagequal.EnhanceOptions{Flatten: true})
	small := imagequal.Resize(flat, fingerprintW+1, fingerprintH)
	out := make([]byte, fingerprintW*fingerprintH/8)
	for y := 0; y < fingerprintH; y++ {
		for x := 0; x < fingerprintW; x++ {
			if small.Pix[y*small.Stride+x] > small.Pix[y*small.Stride+x+1] {
				i := y*fingerprintW + x
				out[i/8] |= 1 << (i % 8)
			}
		}
	}
	return hex.EncodeToString(out)
}

// Distance is the Hamming distance between two fingerprints, or -1 when they cannot be compared.
func Distance(a, b string) int {
	x, err1 := hex.DecodeString(a)
	y, err2 := hex.DecodeString(b)
	if err1 != nil || err2 != nil || len(x) != len(y) || len(x) == 0 {
		return -1
	}
	d := 0
	for i := range x {
		d += bits.OnesCount8(x[i] ^ y[i])
	}
	return d
}

// Record is one deposited check as the fingerprint store keeps it.
type Record struct {
	Fingerprint string    `json:"fingerprint"`
	Routing     string    `json:"routing,omitempty"`
	Account     string    `json:"account,omitempty"`
	CheckNumber string    `json:"check_number,omitempty"`
	Amount      float64   `json:"amount"`
	Time        time.Time `json:"time"`
	Ref         string    `json:"ref,omitempty"`
}

// Same reports whether two records describe the same check: the same MICR identity (routing,
// account and check number) or, lacking it, the same amount and a near-identical image.
func (r Record) Same(o Record) bool {
	if r.Routing != "" && r.Account != "" && r.CheckNumber != "" {
		return r.Routing == o.Routing && r.Account == o.Account && r.CheckNumber == o.CheckNumber
	}
	d := Distance(r.Fingerprint, o.Fingerprint)
	return d >= 0 && d <= fingerprintW*fingerprintH/10 && r.Amount == o.Amount
}

func recordOf(rd *Reading) Record {
	return Record{Fingerprint: rd.Fingerprint, Routing: rd.Routing.Text, Account: rd.Account.Text,
		CheckNumber: rd.CheckNumber.Text, Amount: rd.Amount}
}

// RecordOf returns the store record of a reading, stamped with t and a reference.
func RecordOf(rd *Reading, t time.Time, ref string) Record {
	rec := recordOf(rd)
	rec.Time, rec.Ref = t, ref
	return rec
}

// FingerprintStore remembers deposited checks.
type FingerprintStore interface {
	// Seen returns the earlier deposit of the same check, if any.
	Seen(ctx context.Context, rec Record) (Record, bool, error)
	// Add remembers a deposit.
	Add(ctx context.Context, rec Record) error
}

// FileStore is a FingerprintStore kept as JSON lines in one file.
type FileStore struct {
	path string
	mu   sync.Mutex
	recs []Record
	done bool
}

var _ FingerprintStore = (*FileStore)(nil)

// NewFileStore returns a store in dir/check-fingerprints.jsonl; the directory is made on first Add.
func NewFileStore(dir string) *FileStore {
	return &FileStore{path: filepath.Join(dir, "check-fingerprints.jsonl")}
}

func (s *FileStore) load() error {
	if s.done {
		return nil
	}
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.done = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("check: fingerprint store: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			s.recs = append(s.recs, r)
		}
	}
	s.done = true
	return sc.Err()
}

// Seen implements FingerprintStore.
func (s *FileStore) Seen(ctx context.Context, rec Record) (Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return Record{}, false, err
	}
	for _, r := range s.recs {
		if rec.Same(r) {
			return r, true, nil
		}
	}
	return Record{}, false, ctx.Err()
}

// Add implements FingerprintStore.
func (s *FileStore) Add(ctx context.Context, rec Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return fmt.Errorf("check: fingerprint store: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("check: fingerprint store: %w", err)
	}
	b, _ := json.Marshal(rec)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("check: fingerprint store: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("check: fingerprint store: %w", err)
	}
	s.recs = append(s.recs, rec)
	return nil
}
