package vadeval

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parleyhq/parley/perception/vad"
)

// Detection is one utterance a detector found.
type Detection struct {
	Span
	// Kept is false when the detector dropped it as too short to be a message.
	Kept bool
	// Audio is the stretch of stream a kept message hands to recognition: the onset less the
	// detector's pre-roll to a little after the end.
	Audio Span
	// BargeIn is true when it held bargeIn of speech: said over a reply, it would stop it.
	BargeIn bool
}

// Detect runs a fresh detector made with cfg over the stream in 20 ms chunks, as a live call
// feeds it, and returns what it found. bargeIn is the speech that stops a playing reply.
func Detect(st Stream, cfg vad.Config, bargeIn time.Duration) []Detection {
	d := vad.New(cfg)
	var out []Detection
	var cur *Detection
	s := st.Samples
	const chunk = Rate / 50
	for off := 0; off < len(s); off += chunk {
		for _, ev := range d.Write(s[off:min(len(s), off+chunk)]) {
			switch ev.Type {
			case vad.SpeechStart:
				out = append(out, Detection{Span: Span{Start: ev.At, End: -1}})
				cur = &out[len(out)-1]
			case vad.SpeechEnd:
				if cur != nil {
					cur.End, cur.Kept = ev.At, true
					cur.Audio = audioSpan(ev)
				}
			}
		}
		if cur != nil && d.Sure() >= bargeIn {
			cur.BargeIn = true
		}
		if cur != nil && !d.Speaking() {
			if cur.End < 0 {
				cur.End = dur(off + chunk) // dropped as too short
			}
			cur = nil
		}
	}
	if ev, ok := d.Flush(); ok && cur != nil {
		cur.End, cur.Kept = ev.At, true
		cur.Audio = audioSpan(ev)
	} else if cur != nil && cur.End < 0 {
		cur.End = dur(len(s))
	}
	return out
}

// audioSpan is where a SpeechEnd's samples lie in the stream: they end 200 ms after the speech
// (the detector's trim) unless the stream ran out first.
func audioSpan(ev vad.Event) Span {
	end := ev.At + 200*time.Millisecond
	return Span{end - dur(len(ev.Utterance)), end}
}

// Score sums a detector's measurements over streams.
type Score struct {
	Streams    int
	Utterances int // truth utterances
	Messages   int // kept detections
	// Missed, Split and Merged count truth utterances no message overlaps, those cut into two or
	// more messages, and messages that run two truth utterances together.
	Missed, Split, Merged int
	// InsidePauses and InsideSplit: utterances with a pause inside, and how many of them were split.
	InsidePauses, InsideSplit int
	// FalseMessages and FalseBargeIns are kept detections, and detections long enough to stop a
	// reply, that overlap neither speech nor a burst, over NoiseOnly of noise-only time.
	FalseMessages, FalseBargeIns int
	NoiseOnly                    time.Duration
	// Bursts, BurstMessages and BurstBargeIns: short bursts, and how many were taken as a
	// message or would have stopped a reply.
	Bursts, BurstMessages, BurstBargeIns int
	// Onset and Offset are signed errors (detected minus true) of each found utterance's start and end.
	Onset, Offset []time.Duration
	// SpeechFrames and MissedFrames count 10 ms frames of speech and those outside the audio of
	// every message (what recognition never hears);
	// SoftFrames and SoftMissed the same for speech played 15 dB quieter.
	SpeechFrames, MissedFrames, SoftFrames, SoftMissed int
}

// Add scores the detections of one stream.
func (sc *Score) Add(st Stream, dets []Detection) {
	sc.Streams++
	sc.Utterances += len(st.Utterances)
	sc.Bursts += len(st.Bursts)
	var msgs, heard []Span
	for _, d := range dets {
		if d.Kept {
			msgs = append(msgs, d.Span)
			heard = append(heard, d.Audio)
		}
	}
	sc.Messages += len(msgs)
	for _, u := range st.Utterances {
		var hit []Span
		for _, m := range msgs {
			if m.Overlaps(u) {
				hit = append(hit, m)
			}
		}
		inside := insideOf(st, u)
		if inside {
			sc.InsidePauses++
		}
		switch {
		case len(hit) == 0:
			sc.Missed++
			continue
		case len(hit) > 1:
			sc.Split++
			if inside {
				sc.InsideSplit++
			}
		}
		sc.Onset = append(sc.Onset, hit[0].Start-u.Start)
		sc.Offset = append(sc.Offset, hit[len(hit)-1].End-u.End)
	}
	for _, m := range msgs {
		n := 0
		for _, u := range st.Utterances {
			if m.Overlaps(u) {
				n++
			}
		}
		if n > 1 {
			sc.Merged++
		}
	}
	for _, d := range dets {
		speech := false
		for _, sp := range st.Speech {
			speech = speech || d.Overlaps(sp)
		}
		if speech {
			continue
		}
		burst := false
		for _, b := range st.Bursts {
			burst = burst || d.Overlaps(b)
		}
		switch {
		case burst && d.Kept:
			sc.BurstMessages++
		case !burst && d.Kept:
			sc.FalseMessages++
		}
		switch {
		case burst && d.BargeIn:
			sc.BurstBargeIns++
		case !burst && d.BargeIn:
			sc.FalseBargeIns++
		}
	}
	// Noise-only time: the stream less its speech and bursts, each widened by 100 ms.
	busy := slices.Clone(st.Speech)
	busy = append(busy, st.Bursts...)
	slices.SortFunc(busy, func(a, b Span) int { return int(a.Start - b.Start) })
	end := time.Duration(0)
	for _, b := range busy {
		if s := b.Start - 100*time.Millisecond; s > end {
			sc.NoiseOnly += s - end
		}
		end = max(end, b.End+100*time.Millisecond)
	}
	if total := dur(len(st.Samples)); total > end {
		sc.NoiseOnly += total - end
	}
	for i, sp := range st.Speech {
		for t := sp.Start; t < sp.End; t += 10 * time.Millisecond {
			in := false
			for _, m := range heard {
				in = in || (t >= m.Start && t < m.End)
			}
			sc.SpeechFrames++
			if st.Soft[i] {
				sc.SoftFrames++
			}
			if !in {
				sc.MissedFrames++
				if st.Soft[i] {
					sc.SoftMissed++
				}
			}
		}
	}
}

func insideOf(st Stream, u Span) bool {
	// An utterance holds an inside pause when two of its recordings are 0.3 s or more apart.
	var prev *Span
	for i := range st.Speech {
		sp := &st.Speech[i]
		if !sp.Overlaps(u) {
			continue
		}
		if prev != nil && sp.Start-prev.End >= 300*time.Millisecond {
			return true
		}
		prev = sp
	}
	return false
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// absQuantile returns the q quantile of the absolute values.
func absQuantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	a := make([]time.Duration, len(d))
	for i, v := range d {
		a[i] = max(v, -v)
	}
	slices.Sort(a)
	return a[min(len(a)-1, int(q*float64(len(a))))]
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	a := slices.Clone(d)
	slices.Sort(a)
	return a[len(a)/2]
}

// PerMinute returns false triggers per minute of noise-only time.
func (sc Score) PerMinute(n int) float64 {
	if sc.NoiseOnly <= 0 {
		return 0
	}
	return float64(n) / sc.NoiseOnly.Minutes()
}

// Header prints the column names Row uses.
func Header(w io.Writer) {
	fmt.Fprintf(w, "  %-10s %-12s %6s %6s %6s %6s %7s %6s %9s %9s %9s %9s %7s %7s\n",
		"vad", "noise", "missed", "split", "merged", "insplt", "falsmsg", "falsbi", "onset50", "onset90", "offset50", "offset90", "spmiss", "softmis")
}

// Row prints the score on one line: missed, split and merged utterances and inside pauses split
// (% of utterances), false messages and false barge-ins per minute of noise, onset and offset
// error (p50 signed and p90 absolute), speech frames missed (% all, % soft).
func (sc Score) Row(w io.Writer, name, cond string) {
	fmt.Fprintf(w, "  %-10s %-12s %5.1f%% %5.1f%% %5.1f%% %5.1f%% %7.2f %6.2f %9s %9s %9s %9s %6.1f%% %6.1f%%\n",
		name, cond, pct(sc.Missed, sc.Utterances), pct(sc.Split, sc.Utterances), pct(sc.Merged, sc.Messages),
		pct(sc.InsideSplit, sc.InsidePauses), sc.PerMinute(sc.FalseMessages), sc.PerMinute(sc.FalseBargeIns),
		median(sc.Onset).Round(time.Millisecond), absQuantile(sc.Onset, 0.9).Round(time.Millisecond),
		median(sc.Offset).Round(time.Millisecond), absQuantile(sc.Offset, 0.9).Round(time.Millisecond),
		pct(sc.MissedFrames, sc.SpeechFrames), pct(sc.SoftMissed, sc.SoftFrames))
}

// Merge adds o's counts to sc.
func (sc *Score) Merge(o Score) {
	sc.Streams += o.Streams
	sc.Utterances += o.Utterances
	sc.Messages += o.Messages
	sc.Missed += o.Missed
	sc.Split += o.Split
	sc.Merged += o.Merged
	sc.InsidePauses += o.InsidePauses
	sc.InsideSplit += o.InsideSplit
	sc.FalseMessages += o.FalseMessages
	sc.FalseBargeIns += o.FalseBargeIns
	sc.NoiseOnly += o.NoiseOnly
	sc.Bursts += o.Bursts
	sc.BurstMessages += o.BurstMessages
	sc.BurstBargeIns += o.BurstBargeIns
	sc.Onset = append(sc.Onset, o.Onset...)
	sc.Offset = append(sc.Offset, o.Offset...)
	sc.SpeechFrames += o.SpeechFrames
	sc.MissedFrames += o.MissedFrames
	sc.SoftFrames += o.SoftFrames
	sc.SoftMissed += o.SoftMissed
}
