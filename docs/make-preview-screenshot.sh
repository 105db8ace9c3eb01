#!/bin/sh
# Remakes docs/preview.png, shown in the README: the preview page of the starter notes
# (`notedeck init`, then `notedeck preview`) as headless Chromium draws it.
# Needs `notedeck` on PATH, Debian's chromium and a Japanese font (fonts-ipafont-gothic).
set -eu
out="$(cd "$(dirname "$0")" && pwd)/preview.png"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
notedeck init cards > /dev/null
notedeck preview cards -o preview.html > /dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=900,1100 \
  --screenshot="$out" "file://$work/preview.html" 2> /dev/null
echo "$out"
