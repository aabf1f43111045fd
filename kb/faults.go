package kb

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrBadCause is returned for a fault whose causes do not add up: an unknown part, guide or
// check, or a prior outside (0, 1].
var ErrBadCause = errors.New("kb: bad cause")

func (p *Pack) validateCauses(fl Fault) error {
	for _, c := range fl.Causes {
		if c.Prior <= 0 || c.Prior > 1 {
			return fmt.Errorf("%w: pack %s: fault %s cause %s: prior %v not in (0, 1]", ErrBadCause, p.Name, fl.Code, c.ID, c.Prior)
		}
		if c.Guide != "" && p.Guides[c.Guide] == nil {
			return fmt.Errorf("%w: pack %s: fault %s cause %s names unknown guide %q", ErrBadCause, p.Name, fl.Code, c.ID, c.Guide)
		}
		if c.Check != "" && p.Checks[c.Check] == nil {
			return fmt.Errorf("%w: pack %s: fault %s cause %s names unknown check %q", ErrBadCause, p.Name, fl.Code, c.ID, c.Check)
		}
		for _, n := range c.Parts {
			if _, ok := p.Part(n); !ok {
				return fmt.Errorf("%w: pack %s: fault %s cause %s names unknown part %q", ErrBadCause, p.Name, fl.Code, c.ID, n)
			}
		}
	}
	return nil
}

// FaultCauses returns a fault's causes, highest prior first; a fault written with a single cause
// sentence gets that one cause.
func (f Fault) FaultCauses() []Cause {
	if len(f.Causes) == 0 {
		return []Cause{{ID: "cause", Text: f.Cause, Prior: 1, Parts: f.Parts, Guide: f.Guide}}
	}
	out := append([]Cause(nil), f.Causes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Prior > out[j].Prior })
	for i := range out {
		if out[i].Guide == "" {
			out[i].Guide = f.Guide
		}
	}
	return out
}

// ProductByModel finds a product by its model number in any spelling ("wm 4500", "WM4500").
func (p *Pack) ProductByModel(model string) (Product, bool) {
	want := squash(model)
	if want == "" {
		return Product{}, false
	}
	for _, pr := range p.Products {
		if squash(pr.ID) == want {
			return pr, true
		}
	}
	return Product{}, false
}

// Models lists the pack's product model numbers, the vocabulary a label reader matches against.
func (p *Pack) Models() []string {
	var out []string
	for _, pr := range p.Products {
		out = append(out, pr.ID)
	}
	return out
}

// FaultsOf returns the faults of a product kind (all faults when kind is empty).
func (p *Pack) FaultsOf(kind string) []Fault {
	var out []Fault
	for _, f := range p.Faults {
		if kind == "" || f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
