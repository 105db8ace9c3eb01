#!/bin/sh
# Remakes the README's pictures of cards as `notedeck preview` shows them, drawn by headless
# Chromium: docs/card-day.png and docs/card-night.png (the same page with the system in dark
# mode, which the page follows), from the small note below.
# Needs `notedeck` on PATH, Debian's chromium and a Japanese font (fonts-ipafont-gothic).
set -eu
docs="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir cards
cat > cards/http.md << 'EOF'
---
title: HTTP
---
# HTTP

| メソッド | 意味 | 冪等 |
| --- | --- | --- |
| GET | リソースを取り出す | ○ |

## キャッシュ

一度取り出した応答を手元に置き、次に同じものが要るときすぐ返す仕組み[^rfc]。
寿命は `Cache-Control: max-age=60` のように決め、<ruby>鮮度<rt>せんど</rt></ruby>が切れたら取り直す。
命中率は $h = \frac{\text{hits}}{\text{requests}}$。

[^rfc]: RFC 9111 で決められている。
EOF
notedeck preview cards -o preview.html > /dev/null
for mode in day night; do
  dark=""
  [ "$mode" = night ] && dark="--force-dark-mode"
  # $dark is empty or one flag: left unquoted on purpose.
  # shellcheck disable=SC2086
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars $dark \
    --user-data-dir="$work/profile-$mode" --window-size=1000,900 \
    --screenshot="$docs/card-$mode.png" "file://$work/preview.html" 2> /dev/null
  echo "$docs/card-$mode.png"
done
