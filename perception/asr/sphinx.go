package asr

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdio.h>
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/ngram_model.h>
#include <sphinxbase/cmd_ln.h>

static ps_decoder_t *parley_ps_new(int argc, char **argv) {
	cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), argc, argv, 1);
	if (cfg == NULL) return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

static int parley_ps_set_fsg(ps_decoder_t *ps, const char *name, char *text, size_t n) {
	FILE *fp = fmemopen(text, n, "r");
	if (fp == NULL) return -1;
	fsg_model_t *fsg = fsg_model_read(fp, ps_get_logmath(ps), 6.5);
	fclose(fp);
	if (fsg == NULL) return -1;
	int r = ps_set_fsg(ps, name, fsg);
	fsg_model_free(fsg);
	return r;
}

// parley_lm_mix reads the domain model and interpolates it with the general model: weight is the
// general model's share. The set owns both models; the caller frees its reference to the set.
static ngram_model_t *parley_lm_mix(ps_decoder_t *ps, ngram_model_t *general, const char *domain, float weight) {
	cmd_ln_t *cfg = ps_get_config(ps);
	ngram_model_t *dm = ngram_model_read(cfg, domain, NGRAM_AUTO, ps_get_logmath(ps));
	if (dm == NULL) return NULL;
	ngram_model_t *m[2] = {ngram_model_retain(general), dm};
	char *names[2] = {"general", "domain"};
	float32 w[2] = {weight, 1 - weight};
	return ngram_model_set_init(cfg, m, names, w, 2);
}

static ngram_model_t *parley_lm_read(ps_decoder_t *ps, const char *path) {
	return ngram_model_read(ps_get_config(ps), path, NGRAM_AUTO, ps_get_logmath(ps));
}

static void parley_set_float(ps_decoder_t *ps, const char *name, double v) {
	cmd_ln_set_float_r(ps_get_config(ps), name, v);
}

static double parley_ps_exp(ps_decoder_t *ps, int v) {
	return logmath_exp(ps_get_logmath(ps), v);
}

static double parley_ps_ln(ps_decoder_t *ps, int v) {
	return logmath_log_to_ln(ps_get_logmath(ps), v);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unsafe"
)

// hyp is one decoding result of one search.
type hyp struct {
	Text string
	// Posterior is the probability of the best path in the lattice, in [0,1].
	Posterior float64
	// Ascr is the acoustic log-likelihood (natural log) of the best path, summed over its words.
	Ascr float64
	// WordConf is the mean posterior probability of the words.
	WordConf float64
	// Score is the path score (natural log): acoustic plus language weights and penalties.
	Score float64
	// Frames is the number of 10 ms frames the words span.
	Frames int
	// NBest holds lower-ranked distinct texts.
	NBest []string
	// StartFrame and EndFrame bound the spoken words.
	StartFrame, EndFrame int
}

// decoderArgs are the pocketsphinx settings besides the model: its log goes nowhere; the open
// search, whose general model has tens of thousands of words, keeps a bounded number of HMMs and
// word exits per frame and skips the flat second pass (on real recordings, AN4 and pocketsphinx's
// test audio, those bounds cost no accuracy and cut the open search's CPU time by two thirds);
// and a faint fixed-seed dither keeps digital silence (synthetic speech, muted telephone frames)
// from skewing the utterance's cepstral mean.
var decoderArgs = []string{"-logfn", "/dev/null", "-bestpath", "yes", "-fwdflat", "no", "-maxhmmpf", "2000", "-maxwpf", "10",
	"-dither", "yes", "-seed", "1"}

// decoder wraps one pocketsphinx decoder. It is not safe for concurrent use.
type decoder struct {
	ps *C.ps_decoder_t
	// searches maps a search name to the hash of what was loaded under it.
	searches map[string]string
	// words holds the words in the decoder's dictionary.
	words map[string]bool
	// general is the general English model, read on first use; nil before.
	general *C.ngram_model_t
}

func newDecoder(hmm, dict string, words map[string]bool, extra []string) (*decoder, error) {
	return newDecoderWith(hmm, dict, words, append(append([]string(nil), decoderArgs...), extra...))
}

// newDecoderWith loads a decoder with exactly the given settings besides the model.
func newDecoderWith(hmm, dict string, words map[string]bool, settings []string) (*decoder, error) {
	args := append([]string{"-hmm", hmm, "-dict", dict}, settings...)
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	cargv := (**C.char)(C.malloc(C.size_t(len(args)) * C.size_t(unsafe.Sizeof(argv[0]))))
	defer C.free(unsafe.Pointer(cargv))
	copy(unsafe.Slice(cargv, len(args)), argv)
	ps := C.parley_ps_new(C.int(len(args)), cargv)
	if ps == nil {
		return nil, fmt.Errorf("pocketsphinx: cannot load model %s with dictionary %s", hmm, dict)
	}
	have := make(map[string]bool, len(words))
	for w := range words {
		have[w] = true
	}
	return &decoder{ps: ps, searches: map[string]string{}, words: have}, nil
}

func (d *decoder) close() {
	if d.general != nil {
		C.ngram_model_free(d.general)
		d.general = nil
	}
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
}

// ensure adds to the decoder's dictionary the words it lacks, with their pronunciations.
func (d *decoder) ensure(words []string, lex *lexicon) {
	for _, w := range words {
		if d.words[w] || !lex.known(w) {
			continue
		}
		for i, p := range lex.prons[w] {
			name := w
			if i > 0 {
				name = fmt.Sprintf("%s(%d)", w, i+1)
			}
			cw, cp := C.CString(name), C.CString(p)
			C.ps_add_word(d.ps, cw, cp, 0)
			C.free(unsafe.Pointer(cw))
			C.free(unsafe.Pointer(cp))
		}
		d.words[w] = true
	}
}

// setFSG loads a finite-state grammar under name unless the same grammar is already there.
func (d *decoder) setFSG(name, text, hash string) error {
	if d.searches[name] == hash {
		return nil
	}
	cn, cg := C.CString(name), C.CString(text)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cg))
	if C.parley_ps_set_fsg(d.ps, cn, cg, C.size_t(len(text))) < 0 {
		return errors.New("pocketsphinx: grammar rejected")
	}
	d.searches[name] = hash
	return nil
}

// setWIP sets the word insertion penalty the next search created takes: pocketsphinx reads it
// when a search is built, so each search keeps its own.
func (d *decoder) setWIP(wip float64) {
	cn := C.CString("-wip")
	defer C.free(unsafe.Pointer(cn))
	C.parley_set_float(d.ps, cn, C.double(wip))
}

// beams are pocketsphinx's pruning thresholds: the main beam, the phone-transition beam and the
// word-exit beam.
type beams struct{ beam, pbeam, wbeam float64 }

// defaultBeams are pocketsphinx's own; the open search, with tens of thousands of words, keeps them.
var defaultBeams = beams{1e-48, 1e-48, 7e-29}

// setBeams sets the beams the next search created takes: like the insertion penalty, pocketsphinx
// reads them when a search is built.
func (d *decoder) setBeams(b beams) {
	for _, kv := range []struct {
		name string
		v    float64
	}{{"-beam", b.beam}, {"-pbeam", b.pbeam}, {"-wbeam", b.wbeam}} {
		cn := C.CString(kv.name)
		C.parley_set_float(d.ps, cn, C.double(kv.v))
		C.free(unsafe.Pointer(cn))
	}
}

// setMixedLM loads under name the domain model at path interpolated with the general model at
// generalPath (read once per decoder), giving the general model the share weight.
func (d *decoder) setMixedLM(name, generalPath, path string, weight float64, hash string) error {
	if d.searches[name] == hash {
		return nil
	}
	if d.general == nil {
		cg := C.CString(generalPath)
		d.general = C.parley_lm_read(d.ps, cg)
		C.free(unsafe.Pointer(cg))
		if d.general == nil {
			return fmt.Errorf("pocketsphinx: general language model %s rejected", generalPath)
		}
	}
	cn, cp := C.CString(name), C.CString(path)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cp))
	set := C.parley_lm_mix(d.ps, d.general, cp, C.float(weight))
	if set == nil {
		return fmt.Errorf("pocketsphinx: language model %s rejected", path)
	}
	r := C.ps_set_lm(d.ps, cn, set)
	C.ngram_model_free(set)
	if r < 0 {
		return fmt.Errorf("pocketsphinx: mixed language model %s rejected", path)
	}
	d.searches[name] = hash
	return nil
}

// setLM loads an ARPA language model file under name unless it is already there.
func (d *decoder) setLM(name, path, hash string) error {
	if d.searches[name] == hash {
		return nil
	}
	cn, cp := C.CString(name), C.CString(path)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cp))
	if C.ps_set_lm_file(d.ps, cn, cp) < 0 {
		return fmt.Errorf("pocketsphinx: language model %s rejected", path)
	}
	d.searches[name] = hash
	return nil
}

// decode runs the named search over 16 kHz mono samples, as live audio arrives.
func (d *decoder) decode(search string, samples []int16, nbest int) (hyp, error) {
	return d.decodeUtt(search, samples, nbest, false)
}

// decodeUtt runs the named search over 16 kHz mono samples; full decodes them as one whole
// utterance (cepstral mean over all of it), the way pocketsphinx's batch tool does.
func (d *decoder) decodeUtt(search string, samples []int16, nbest int, full bool) (hyp, error) {
	cs := C.CString(search)
	defer C.free(unsafe.Pointer(cs))
	if C.ps_set_search(d.ps, cs) < 0 {
		return hyp{}, fmt.Errorf("pocketsphinx: no search %q", search)
	}
	if C.ps_start_utt(d.ps) < 0 {
		return hyp{}, errors.New("pocketsphinx: cannot start utterance")
	}
	if len(samples) > 0 {
		// The samples are copied to C memory: cgo forbids passing Go memory the callee might keep.
		buf := (*C.int16)(C.malloc(C.size_t(len(samples) * 2)))
		copy(unsafe.Slice((*int16)(unsafe.Pointer(buf)), len(samples)), samples)
		// Live mode (full_utt false): batch normalisation over the padded utterance did worse.
		fullUtt := C.int(0)
		if full {
			fullUtt = 1
		}
		r := C.ps_process_raw(d.ps, buf, C.size_t(len(samples)), 0, fullUtt)
		C.free(unsafe.Pointer(buf))
		if r < 0 {
			C.ps_end_utt(d.ps)
			return hyp{}, errors.New("pocketsphinx: cannot process audio")
		}
	}
	if C.ps_end_utt(d.ps) < 0 {
		return hyp{}, errors.New("pocketsphinx: cannot end utterance")
	}
	var score C.int32
	ch := C.ps_get_hyp(d.ps, &score)
	if ch == nil {
		return hyp{}, nil
	}
	h := hyp{Text: strings.TrimSpace(C.GoString(ch)), StartFrame: -1}
	words := 0
	h.Score = float64(C.parley_ps_ln(d.ps, C.int(score)))
	h.Posterior = float64(C.parley_ps_exp(d.ps, C.int(C.ps_get_prob(d.ps))))
	for seg := C.ps_seg_iter(d.ps); seg != nil; seg = C.ps_seg_next(seg) {
		w := C.GoString(C.ps_seg_word(seg))
		var sf, ef C.int
		C.ps_seg_frames(seg, &sf, &ef)
		var ascr, lscr, lback C.int32
		post := C.ps_seg_prob(seg, &ascr, &lscr, &lback)
		if isFiller(w) {
			continue
		}
		h.Ascr += float64(C.parley_ps_ln(d.ps, C.int(ascr)))
		h.WordConf += min(1, float64(C.parley_ps_exp(d.ps, C.int(post))))
		words++
		h.Frames += int(ef-sf) + 1
		if h.StartFrame < 0 {
			h.StartFrame = int(sf)
		}
		h.EndFrame = int(ef)
	}
	if words > 0 {
		h.WordConf /= float64(words)
	} else {
		h.WordConf = h.Posterior
	}
	if nbest > 1 && h.Text != "" {
		seen := map[string]bool{h.Text: true}
		nb := C.ps_nbest(d.ps)
		for i := 0; nb != nil && i < nbest*4 && len(h.NBest) < nbest-1; i++ {
			var s C.int32
			if t := C.ps_nbest_hyp(nb, &s); t != nil {
				txt := strings.Join(strings.Fields(cleanHyp(C.GoString(t))), " ")
				if txt != "" && !seen[txt] {
					seen[txt] = true
					h.NBest = append(h.NBest, txt)
				}
			}
			nb = C.ps_nbest_next(nb)
		}
		if nb != nil {
			C.ps_nbest_free(nb)
		}
	}
	h.Text = cleanHyp(h.Text)
	return h, nil
}

func isFiller(w string) bool {
	return w == "" || w == "<s>" || w == "</s>" || w == "<sil>" || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++") || strings.HasPrefix(w, "<")
}

// cleanHyp drops fillers and alternate-pronunciation markers such as "two(2)".
func cleanHyp(s string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		if isFiller(w) {
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// pauseDB is how far below the loud frames a recording's quietest 50 ms must lie for it to count
// as a pause rather than speech.
const pauseDB = 25

// hasPause reports whether samples hold a stretch of background clearly quieter than the speech:
// the quietest 50 ms at least pauseDB below the loudest tenth of the recording.
func hasPause(samples []int16) bool {
	const seg = 800
	var es []float64
	for i := 0; i+seg <= len(samples); i += seg / 2 {
		var e float64
		for _, v := range samples[i : i+seg] {
			e += float64(v) * float64(v)
		}
		es = append(es, e/seg+1)
	}
	if len(es) < 4 {
		return false
	}
	sort.Float64s(es)
	return 10*math.Log10(es[len(es)*9/10]/es[0]) >= pauseDB
}
