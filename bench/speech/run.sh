#!/usr/bin/env bash
# Speech benchmarks: generate spoken customer phrases (espeak-ng and flite voices, clean and with
# white and babble noise at 10 dB SNR), measure recognition (WER, RTF, latency) and synthesis, then
# run the Go micro-benchmarks of decoding, recognition, prosody, VAD and synthesis.
# With REAL=DIR (a folder of real recordings with a truth.jsonl, such as ../shared/data/speech_real)
# it also measures that folder, clean and mixed with babble of its own voices and broadband noise
# at 10 and 5 dB SNR, against stock pocketsphinx.
# Usage: bench/speech/run.sh [OUTDIR]   (EVERY=N samples every Nth utterance for a quick run)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
go build -o "$out/parley" ./cmd/parley
"$out/parley" gen speech --out "$out/data"
"$out/parley" eval speech --every "${EVERY:-1}" "$out/data" | tee "$out/eval.txt"
if [ -n "${REAL:-}" ]; then
  "$out/parley" eval speech "$REAL" | tee "$out/real.txt"
  "$out/parley" eval speech --every "${REAL_EVERY:-10}" --mix babble:10,white:10,babble:5,white:5 "$REAL" | tee "$out/real-noise.txt"
fi
go test -run XXX -bench . -benchtime 20x ./media/ ./perception/asr/ ./perception/prosody/ ./perception/vad/ ./speech/ | tee "$out/bench.txt"
echo "results in $out"
