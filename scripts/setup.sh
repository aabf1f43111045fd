#!/usr/bin/env bash
# setup.sh installs what Parley needs on Debian 12: the system packages behind OCR, speech
# recognition and synthesis, media decoding and browser tests. It is idempotent and returns at
# once when everything is present.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config ca-certificates curl jq python3 file
  tesseract-ocr tesseract-ocr-eng libtesseract-dev libleptonica-dev
  pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev
  espeak-ng libespeak-ng-dev flite sox ffmpeg ssocr
  imagemagick fonts-dejavu-core fonts-liberation fonts-urw-base35
  chromium nodejs npm postgresql
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs and npm may come from elsewhere (nodesource, a toolchain image): accept working binaries.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { echo "setup: Go 1.26 is required (https://go.dev/dl)"; exit 1; }
