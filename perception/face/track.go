package face

// Tracker follows faces across frames by box overlap: a face keeps the track of the box it
// overlaps most (IoU at least MinIoU) in the previous frames, otherwise it starts a new track.
// Tracks not seen for MaxMissed frames are dropped.
type Tracker struct {
	MinIoU    float64 // default 0.3
	MaxMissed int     // default 10
	next      int
	tracks    []track
}

type track struct {
	id     int
	box    Box
	missed int
}

// Update assigns a Track to each face, in place.
func (t *Tracker) Update(faces []Face) {
	minIoU := t.MinIoU
	if minIoU == 0 {
		minIoU = 0.3
	}
	maxMissed := t.MaxMissed
	if maxMissed == 0 {
		maxMissed = 10
	}
	taken := make([]bool, len(t.tracks))
	for i := range faces {
		best, bestIoU := -1, minIoU
		for j, tr := range t.tracks {
			if taken[j] {
				continue
			}
			if v := IoU(tr.box, faces[i].Box); v >= bestIoU {
				best, bestIoU = j, v
			}
		}
		if best >= 0 {
			taken[best] = true
			t.tracks[best].box = faces[i].Box
			t.tracks[best].missed = -1
			faces[i].Track = t.tracks[best].id
			continue
		}
		t.next++
		faces[i].Track = t.next
		t.tracks = append(t.tracks, track{id: t.next, box: faces[i].Box, missed: -1})
		taken = append(taken, true)
	}
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		tr.missed++
		if tr.missed <= maxMissed {
			kept = append(kept, tr)
		}
	}
	t.tracks = kept
}
