package conversation

import "sync"

// maxCached bounds the conversations whose decoded state a process keeps between turns.
const maxCached = 10000

// snapshots keeps each conversation's decoded state as this process last saved it, so the next
// turn here need not decode it again while the stored version is still that one (another node's
// save changes the version, and the state is decoded afresh). An entry is taken out while a change
// uses it (under the conversation's lock) and put back once saved.
type snapshots struct {
	mu sync.Mutex
	m  map[string]*Snapshot
}

// take removes and returns the conversation's snapshot, nil when none is kept.
func (c *snapshots) take(id string) *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.m[id]
	delete(c.m, id)
	return snap
}

// has reports whether a snapshot of the conversation is kept.
func (c *snapshots) has(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id] != nil
}

// put keeps a saved snapshot; its holder must not touch it afterwards.
func (c *snapshots) put(snap *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*Snapshot{}
	}
	for id := range c.m {
		if len(c.m) < maxCached {
			break
		}
		delete(c.m, id)
	}
	c.m[snap.Conv.ID] = snap
}
