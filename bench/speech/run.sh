#!/usr/bin/env bash
# Speech benchmarks: generate spoken customer phrases (espeak-ng and flite voices, clean and with
# white and babble noise at 10 dB SNR), measure recognition (WER, RTF, latency) and synthesis, then
# run the Go micro-benchmarks of decoding, recognition, prosody, VAD and synthesis.
# Usage: bench/speech/run.sh [OUTDIR]   (EVERY=N samples every Nth utterance for a quick run)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
go build -o "$out/parley" ./cmd/parley
"$out/parley" gen speech --out "$out/data"
"$out/parley" eval speech --every "${EVERY:-1}" "$out/data" | tee "$out/eval.txt"
go test -run XXX -bench . -benchtime 20x ./media/ ./perception/asr/ ./perception/prosody/ ./perception/vad/ ./speech/ | tee "$out/bench.txt"
echo "results in $out"
