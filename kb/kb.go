// Package kb loads knowledge packs: the intents, flows, articles, products, faults, repair guides
// and parts of one business domain, written as YAML and Markdown so that flows are data, not code.
package kb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrUnknownPack is returned for a pack name that is not loaded.
var ErrUnknownPack = errors.New("kb: unknown pack")

// Library is every loaded pack.
type Library struct {
	packs map[string]*Pack
	names []string
}

// Pack is one domain's knowledge.
type Pack struct {
	Name     string            `yaml:"name"`
	Title    string            `yaml:"title"`
	Greeting string            `yaml:"greeting"`
	Intents  map[string]Intent `yaml:"intents"`
	Flows    map[string]*Flow  `yaml:"flows"`
	Products []Product         `yaml:"products"`
	Faults   []Fault           `yaml:"faults"`
	Guides   map[string]*Guide `yaml:"guides"`
	Parts    []Part            `yaml:"parts"`
	// Settings are pack-level values flows may use in templates (e.g. the default account).
	Settings map[string]string `yaml:"settings"`
	// Images names the perception stages a customer's photo goes to in this pack (e.g.
	// image.check) while no active flow names its own; a photo no listed stage reads gets an
	// honest reply instead of another domain's advice.
	Images []string `yaml:"images"`
	// Checks are the diagnostic questions a diagnosis may ask to tell two close causes apart.
	Checks   map[string]*Check `yaml:"checks"`
	Articles []Article         `yaml:"-"`
	// Assets holds the pack's images (guides' pictures), served under /v1/packs/{pack}/assets/.
	Assets fs.FS `yaml:"-"`
}

// Intent is something a customer may want, with training examples.
type Intent struct {
	Examples []string `yaml:"examples"`
	// Flow names the flow the intent starts; empty for intents answered from articles.
	Flow string `yaml:"flow"`
	// Article answers the intent directly with an article ID.
	Article string `yaml:"article"`
	// Reply is a fixed reply (greetings, thanks).
	Reply string `yaml:"reply"`
	// Handoff marks the intent as a request for a person.
	Handoff bool `yaml:"handoff"`
}

// Flow is a task the agent walks the customer through.
type Flow struct {
	Name  string     `yaml:"-"`
	Title string     `yaml:"title"`
	Intro string     `yaml:"intro"`
	Slots []SlotSpec `yaml:"slots"`
	// Upload asks for a file (a check photo) that fills slots.
	Upload *Upload `yaml:"upload"`
	// Confirm states what is known and waits for a yes before the action.
	Confirm *Confirm `yaml:"confirm"`
	// Guide is a troubleshooting guide walked one step (or a few) at a time.
	Guide string `yaml:"guide"`
	// Diagnose looks up the fault from the error code and product and produces the report, the
	// repair guide and the parts link together.
	Diagnose bool    `yaml:"diagnose"`
	Action   *Action `yaml:"action"`
	Done     string  `yaml:"done"`
	// Exhausted is said when a guide ran out of steps without fixing the problem.
	Exhausted string `yaml:"exhausted"`
	// Images, when set, names the perception stages a photo goes to while this flow is active,
	// in place of the pack's Images.
	Images []string `yaml:"images"`
}

// SlotSpec is one fact a flow needs.
type SlotSpec struct {
	Name     string   `yaml:"name"`
	Type     string   `yaml:"type"` // amount, date, digits, text, choice, error_code, product, account
	Prompt   string   `yaml:"prompt"`
	Simple   string   `yaml:"simple"`
	Required bool     `yaml:"required"`
	Choices  []string `yaml:"choices"`
	// Default fills the slot when the customer gives no value (e.g. the checking account).
	Default string `yaml:"default"`
}

// Upload asks the customer for a file.
type Upload struct {
	Kind   string `yaml:"kind"` // image, video
	Prompt string `yaml:"prompt"`
	Simple string `yaml:"simple"`
	// Observation is the observation kind that satisfies the upload (e.g. "check").
	Observation string `yaml:"observation"`
}

// Confirm is a read-back of what is known, waiting for a yes.
type Confirm struct {
	Prompt string   `yaml:"prompt"`
	Slots  []string `yaml:"slots"`
	// Again is the short read-back said once more before acting on a yes that was not heard
	// clearly ("Just to be sure: deposit {amount}?"); without it the prompt is repeated.
	Again string `yaml:"again"`
}

// Action is what the flow does when everything is confirmed.
type Action struct {
	Type string `yaml:"type"`
	// Webhook, when set to a config key ("bank_core"), posts the action there.
	Webhook string `yaml:"webhook"`
}

// Product is something the business sells or supports.
type Product struct {
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Kind    string   `yaml:"kind"`
	Aliases []string `yaml:"aliases"`
	// Image is a drawing or photo of the product among the pack's assets.
	Image string `yaml:"image"`
	// Display is how the product's display looks, for the display reader and the test videos.
	Display *Display `yaml:"display"`
	// Lights are the product's indicator lights.
	Lights []Light `yaml:"lights"`
}

// Display describes a product's display: "sevenseg" or "lcd", its lit colour and its width in
// characters.
type Display struct {
	Type   string `yaml:"type"`
	Color  string `yaml:"color"`
	Digits int    `yaml:"digits"`
}

// Light is one indicator light of a product: its name, where it sits (as a fraction of the panel's
// width from the left) and the colours it can show.
type Light struct {
	Name   string   `yaml:"name"`
	Label  string   `yaml:"label"`
	X      float64  `yaml:"x"`
	Colors []string `yaml:"colors"`
}

// LightState is what a light shows: a colour ("red", "green", "amber", "off") and a pattern
// ("steady", "blinking", "fast").
type LightState struct {
	Light   string `yaml:"light"`
	Color   string `yaml:"color"`
	Pattern string `yaml:"pattern"`
}

// Cause is one possible cause of a fault, with its prior likelihood and what points to it.
type Cause struct {
	ID    string  `yaml:"id"`
	Text  string  `yaml:"text"`
	Prior float64 `yaml:"prior"`
	// Parts are the spare parts this cause needs; Guide overrides the fault's repair guide.
	Parts []string `yaml:"parts"`
	Guide string   `yaml:"guide"`
	// Sounds are sound features that make this cause likelier (grinding, beeping, hum, silence).
	Sounds []string `yaml:"sounds"`
	// Words are phrases of the customer's account that make this cause likelier.
	Words []string `yaml:"words"`
	// Check names the diagnostic check whose yes points to this cause.
	Check string `yaml:"check"`
}

// Check is a diagnostic question with a plain variant.
type Check struct {
	ID       string `yaml:"-"`
	Question string `yaml:"question"`
	Simple   string `yaml:"simple"`
}

// Fault is a known error code of a product kind.
type Fault struct {
	Code     string   `yaml:"code"`
	Kind     string   `yaml:"kind"`
	Title    string   `yaml:"title"`
	Cause    string   `yaml:"cause"`
	Severity string   `yaml:"severity"`
	Guide    string   `yaml:"guide"`
	Parts    []string `yaml:"parts"`
	// Causes rank what may be behind the code; the first with the highest prior is the default.
	Causes []Cause `yaml:"causes"`
	// Lights are the indicator states that show this fault (a router's blinking red DSL light).
	Lights []LightState `yaml:"lights"`
	// Symptoms are words a customer may use for this fault without naming its code.
	Symptoms []string `yaml:"symptoms"`
}

// Guide is a step-by-step procedure; every step has a plain variant for confused customers.
type Guide struct {
	ID    string `yaml:"-"`
	Title string `yaml:"title"`
	Steps []Step `yaml:"steps"`
	// Tools, Minutes and Safety are what the repair needs, how long it takes and its warnings.
	Tools   []string `yaml:"tools"`
	Minutes int      `yaml:"minutes"`
	Safety  []string `yaml:"safety"`
}

// Step is one instruction.
type Step struct {
	Text   string `yaml:"text"`
	Simple string `yaml:"simple"`
	Image  string `yaml:"image"`
}

// Part is a spare part that can be ordered.
type Part struct {
	Number string   `yaml:"number"`
	Name   string   `yaml:"name"`
	Price  float64  `yaml:"price"`
	Fits   []string `yaml:"fits"`
	// Stock is how many are in the warehouse.
	Stock int `yaml:"stock"`
}

// Article is an FAQ answer written in Markdown; the first "# " line is its title.
type Article struct {
	ID    string
	Title string
	Body  string
}

// Load reads every pack directory in fsys: DIR/pack.yaml, DIR/articles/*.md and DIR/assets/*. A
// directory named "common" is merged into every other pack (greetings, thanks, asking for a person).
func Load(fsys fs.FS) (*Library, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("kb: %w", err)
	}
	var common *Pack
	lib := &Library{packs: map[string]*Pack{}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p, err := loadPack(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		if e.Name() == "common" {
			common = p
			continue
		}
		lib.packs[p.Name] = p
		lib.names = append(lib.names, p.Name)
	}
	if len(lib.packs) == 0 {
		return nil, fmt.Errorf("kb: no packs found")
	}
	sort.Strings(lib.names)
	for _, p := range lib.packs {
		if common != nil {
			merge(p, common)
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	return lib, nil
}

func loadPack(fsys fs.FS, dir string) (*Pack, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, "pack.yaml"))
	if err != nil {
		return nil, fmt.Errorf("kb: pack %s: %w", dir, err)
	}
	p := &Pack{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("kb: pack %s: pack.yaml: %w", dir, err)
	}
	if p.Name == "" {
		p.Name = dir
	}
	for name, f := range p.Flows {
		f.Name = name
	}
	for id, g := range p.Guides {
		g.ID = id
	}
	for id, c := range p.Checks {
		c.ID = id
	}
	arts, _ := fs.Glob(fsys, path.Join(dir, "articles", "*.md"))
	for _, a := range arts {
		body, err := fs.ReadFile(fsys, a)
		if err != nil {
			return nil, fmt.Errorf("kb: %w", err)
		}
		p.Articles = append(p.Articles, parseArticle(strings.TrimSuffix(path.Base(a), ".md"), string(body)))
	}
	if sub, err := fs.Sub(fsys, path.Join(dir, "assets")); err == nil {
		p.Assets = sub
	}
	return p, nil
}

func parseArticle(id, body string) Article {
	a := Article{ID: id, Body: strings.TrimSpace(body)}
	for _, line := range strings.Split(body, "\n") {
		if t, ok := strings.CutPrefix(line, "# "); ok {
			a.Title = strings.TrimSpace(t)
			a.Body = strings.TrimSpace(strings.Replace(body, line, "", 1))
			break
		}
	}
	if a.Title == "" {
		a.Title = id
	}
	return a
}

func merge(p, common *Pack) {
	if p.Intents == nil {
		p.Intents = map[string]Intent{}
	}
	for name, in := range common.Intents {
		if _, ok := p.Intents[name]; !ok {
			p.Intents[name] = in
		}
	}
	p.Articles = append(p.Articles, common.Articles...)
}

// Validate checks that every reference in the pack resolves.
func (p *Pack) Validate() error {
	for name, in := range p.Intents {
		if len(in.Examples) == 0 {
			return fmt.Errorf("kb: pack %s: intent %s has no examples", p.Name, name)
		}
		if in.Flow != "" && p.Flows[in.Flow] == nil {
			return fmt.Errorf("kb: pack %s: intent %s names unknown flow %q", p.Name, name, in.Flow)
		}
		if in.Article != "" {
			if _, ok := p.Article(in.Article); !ok {
				return fmt.Errorf("kb: pack %s: intent %s names unknown article %q", p.Name, name, in.Article)
			}
		}
	}
	for name, f := range p.Flows {
		if f.Guide != "" && p.Guides[f.Guide] == nil {
			return fmt.Errorf("kb: pack %s: flow %s names unknown guide %q", p.Name, name, f.Guide)
		}
		if f.Confirm != nil {
			for _, s := range f.Confirm.Slots {
				if f.Slot(s) == nil {
					return fmt.Errorf("kb: pack %s: flow %s confirms unknown slot %q", p.Name, name, s)
				}
			}
		}
	}
	for _, fl := range p.Faults {
		if fl.Guide != "" && p.Guides[fl.Guide] == nil {
			return fmt.Errorf("kb: pack %s: fault %s names unknown guide %q", p.Name, fl.Code, fl.Guide)
		}
		for _, n := range fl.Parts {
			if _, ok := p.Part(n); !ok {
				return fmt.Errorf("kb: pack %s: fault %s names unknown part %q", p.Name, fl.Code, n)
			}
		}
		if err := p.validateCauses(fl); err != nil {
			return err
		}
	}
	for _, pr := range p.Products {
		if pr.Image != "" && p.Assets != nil {
			if _, err := fs.Stat(p.Assets, pr.Image); err != nil {
				return fmt.Errorf("kb: pack %s: product %s names unknown image %q", p.Name, pr.ID, pr.Image)
			}
		}
	}
	return nil
}

// Slot returns the flow's slot spec by name.
func (f *Flow) Slot(name string) *SlotSpec {
	for i := range f.Slots {
		if f.Slots[i].Name == name {
			return &f.Slots[i]
		}
	}
	return nil
}

// Article returns an article by ID.
func (p *Pack) Article(id string) (Article, bool) {
	for _, a := range p.Articles {
		if a.ID == id {
			return a, true
		}
	}
	return Article{}, false
}

// Part returns a part by number.
func (p *Pack) Part(number string) (Part, bool) {
	for _, pt := range p.Parts {
		if pt.Number == number {
			return pt, true
		}
	}
	return Part{}, false
}

// Fault returns the fault for an error code, preferring one of the given product kind.
func (p *Pack) Fault(code, kind string) (Fault, bool) {
	var found *Fault
	for i, f := range p.Faults {
		if !strings.EqualFold(f.Code, code) {
			continue
		}
		if kind == "" || f.Kind == kind {
			return f, true
		}
		if found == nil {
			found = &p.Faults[i]
		}
	}
	if found != nil {
		return *found, true
	}
	return Fault{}, false
}

// Product finds a product by ID, name or alias, case-insensitively.
func (p *Pack) Product(s string) (Product, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, pr := range p.Products {
		if strings.ToLower(pr.ID) == s || strings.ToLower(pr.Name) == s {
			return pr, true
		}
		for _, a := range pr.Aliases {
			if strings.ToLower(a) == s {
				return pr, true
			}
		}
	}
	return Product{}, false
}

// Pack returns a pack by name.
func (l *Library) Pack(name string) (*Pack, error) {
	p, ok := l.packs[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (loaded: %s)", ErrUnknownPack, name, strings.Join(l.names, ", "))
	}
	return p, nil
}

// PackNames lists the loaded packs.
func (l *Library) PackNames() []string { return append([]string(nil), l.names...) }

// IntentExamples returns a pack's training examples by intent.
func (l *Library) IntentExamples(pack string) map[string][]string {
	p, ok := l.packs[pack]
	if !ok {
		return nil
	}
	out := make(map[string][]string, len(p.Intents))
	for name, in := range p.Intents {
		out[name] = in.Examples
	}
	return out
}

// Vocabulary returns the pack's domain words: product names and aliases, error codes, part names.
func (l *Library) Vocabulary(pack string) []string {
	p, ok := l.packs[pack]
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, pr := range p.Products {
		add(pr.Name)
		add(pr.ID)
		for _, a := range pr.Aliases {
			add(a)
		}
	}
	for _, f := range p.Faults {
		add(f.Code)
	}
	for _, pt := range p.Parts {
		add(pt.Name)
	}
	for _, f := range p.Flows {
		for _, s := range f.Slots {
			for _, c := range s.Choices {
				add(c)
			}
		}
	}
	sort.Strings(out)
	return out
}
