package perception

import (
	"fmt"
	"sort"
	"sync"
)

// Env is what a stage factory may use to build its stage.
type Env struct {
	// ModelDir holds installed model files.
	ModelDir string
	// DataDir is the server's data directory.
	DataDir string
	// Packs gives each pack's intents, phrases and vocabulary; it is a *kb.Library, kept as an
	// interface here so perception does not depend on the knowledge-pack format.
	Packs PackSource
	// Options are stage-specific settings from the config file, keyed by stage name.
	Options map[string]map[string]string
}

// PackSource is the view of the knowledge packs that stages need.
type PackSource interface {
	PackNames() []string
	// IntentExamples returns the training examples of a pack, keyed by intent.
	IntentExamples(pack string) map[string][]string
	// Vocabulary returns product names, error codes and other domain words of a pack.
	Vocabulary(pack string) []string
}

// Factory builds a stage. It returns ErrUnavailable (wrapped) when the stage cannot run here.
type Factory func(env Env) (Stage, error)

var (
	regMu    sync.Mutex
	registry = map[string]Factory{}
)

// Register adds a stage factory under a namespaced ID such as "text.intent". Registering the same
// ID twice panics: that is a wiring bug.
func Register(id string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[id]; dup {
		panic(fmt.Sprintf("perception: stage %q registered twice", id))
	}
	registry[id] = f
}

// Registered returns the registered stage IDs in order.
func Registered() []string {
	regMu.Lock()
	defer regMu.Unlock()
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Build constructs the registered stages named in ids (all when ids is empty). Stages that are
// unavailable are skipped and reported in the returned map.
func Build(env Env, ids []string) ([]Stage, map[string]error, error) {
	if len(ids) == 0 {
		ids = Registered()
	}
	skipped := map[string]error{}
	var stages []Stage
	for _, id := range ids {
		regMu.Lock()
		f, ok := registry[id]
		regMu.Unlock()
		if !ok {
			return nil, nil, fmt.Errorf("perception: unknown stage %q (known: %v)", id, Registered())
		}
		s, err := f(env)
		if err != nil {
			skipped[id] = err
			continue
		}
		stages = append(stages, s)
	}
	return stages, skipped, nil
}
