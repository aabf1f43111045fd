package dialogue

import (
	"strings"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Expectation returns what the conversation waits for as perception should see it: the stored
// expectation with Images, the readers a photo goes to now (the active flow's when it names
// them, else the pack's).
func (e *Engine) Expectation(st *State) perception.Expectation {
	x := st.Expect
	if x.Pack == "" {
		x.Pack = st.Pack
	}
	if pack, err := e.Packs.Pack(st.Pack); err == nil {
		x.Images = imagesFor(pack, st)
	}
	return x
}

func imagesFor(pack *kb.Pack, st *State) []string {
	if f := pack.Flows[st.Skill]; f != nil && st.Step != "done" && f.Images != nil {
		return f.Images
	}
	return pack.Images
}

// Readers returns the stages some pack or flow of lib routes photos to: they are document readers,
// which see a photo only where the conversation routes it to them (perception.Pipeline.Readers).
func Readers(lib *kb.Library) map[string]bool {
	out := map[string]bool{}
	for _, name := range lib.PackNames() {
		p, err := lib.Pack(name)
		if err != nil {
			continue
		}
		for _, s := range p.Images {
			out[s] = true
		}
		for _, f := range p.Flows {
			for _, s := range f.Images {
				out[s] = true
			}
		}
	}
	return out
}

// documentFlow reports whether a photo is read for a flow that takes a document: the active flow
// asks for an upload, or the photo plainly is the document a flow of the pack takes (a check
// reading came back). Only then do a reader's retake advice and "this is not a check" apply.
func (t *turn) documentFlow() bool {
	st := t.st
	if f := t.pack.Flows[st.Skill]; f != nil && st.Step != "done" && f.Upload != nil {
		return true
	}
	return t.documentSeen()
}

// documentSeen reports whether a still photo of the message was read as the document some flow
// of the pack takes.
func (t *turn) documentSeen() bool {
	for _, o := range t.in.Observations {
		for _, f := range t.pack.Flows {
			if f.Upload != nil && o.Kind == f.Upload.Observation {
				return true
			}
		}
	}
	return false
}

// sentPhoto reports whether the message has a still photo (not the frames of a video).
func (t *turn) sentPhoto() bool {
	for i, k := range t.in.Kinds {
		if k != media.Image {
			continue
		}
		if i >= len(t.in.Modalities) || t.in.Modalities[i] == media.ModImage || t.in.Modalities[i] == "" {
			return true
		}
	}
	return false
}

// photoRead reports whether some stage read something this conversation can use from a photo: a
// value (entity) or a document.
func (t *turn) photoRead() bool {
	for _, o := range t.in.Observations {
		if o.Source.Modality == media.ModImage && o.Kind == perception.KindEntity {
			return true
		}
	}
	return t.documentSeen()
}

// photoReply is said about a photo no stage could read for this conversation.
const photoReply = "I can see a photo, but I can't read it for this; could you tell me in words what it shows?"

// unreadPhoto answers a still photo that no stage read anything from for this conversation,
// honestly, never with another domain's advice. When the photo was all the message had, it asks
// the pending question again and stops the turn.
func (t *turn) unreadPhoto() bool {
	if !t.sentPhoto() || t.photoRead() {
		return false
	}
	t.say(photoReply)
	if strings.TrimSpace(t.customerText()) != "" || len(t.in.Kinds) > 1 {
		return false // the words of the message go on as usual
	}
	st := t.st
	switch {
	case st.Skill != "" && st.Step != "done" && st.Asked != "":
		t.say(st.Asked)
	case st.Skill == "" || st.Step == "done":
		t.say(t.capabilities())
	}
	return true
}

// quality reports an unreadable photo or one that is not a check, and stops the turn there; it
// speaks only for a flow that takes the document (see documentFlow).
func (t *turn) quality() bool {
	if !t.documentFlow() {
		return false
	}
	for _, o := range t.in.Observations {
		switch o.Kind {
		case perception.KindNotCheck:
			msg := o.Text
			if msg == "" {
				msg = "this does not look like a check"
			}
			t.say(capitalise(msg) + ". Please send a photo of the front of the check.")
			t.expect(perception.Expectation{Type: "image"})
			return true
		case perception.KindQuality:
			if o.Text != "" && !t.hasCheckFields() {
				t.say("I couldn't read that photo: " + o.Text + ". Please take it again.")
				t.expect(perception.Expectation{Type: "image"})
				return true
			}
		}
	}
	return false
}

func (t *turn) hasCheckFields() bool {
	for _, o := range t.in.Observations {
		if o.Kind == perception.KindEntity && o.Source.Modality == media.ModImage && o.Slot == "amount" {
			return true
		}
	}
	return false
}
