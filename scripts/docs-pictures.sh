#!/usr/bin/env bash
# Regenerate the pictures of PDF pages in docs/manual/pictures/ (the manual shows them, and so does the README): the sample book (A4, one
# side), the five-chapter fixture book (A5, printed on both sides), the one-file
# article fixture (tests/fixtures/article/article.md, as `bookmaker pdf FILE.md` makes it)
# and the technical fixture book (code, tables, math; A4); and one page of each script's
# fixture book (tests/fixtures/fonts/<lang>) as scripts/<lang>.png.
#   scripts/docs-pictures.sh        (after `make book`; needs poppler-utils)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
out=docs/manual/pictures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1767225600  # 2026-01-01: the same PDF, and the same pictures, on every run

pictures() {  # pictures NAME PDF: one 70 dpi PNG per page, reduced to a small palette
  rm -rf "${out:?}/$1" && mkdir -p "$out/$1"
  pdftoppm -png -r 70 "$2" "$tmp/$1"
  "$BIN/python" - "$tmp" "$1" "$out/$1" <<'PY'
import sys
from pathlib import Path
from PIL import Image
tmp, name, target = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
for png in sorted(tmp.glob(f"{name}-*.png")):
    number = int(png.stem.rsplit("-", 1)[1])
    Image.open(png).convert("RGB").quantize(colors=32).save(target / f"page-{number:02d}.png", optimize=True)
PY
}

"$BIN/bookmaker" pdf . -o "$tmp/sample.pdf" >/dev/null
pictures sample-book "$tmp/sample.pdf"
"$BIN/bookmaker" pdf tests/fixtures/five-chapters -o "$tmp/five.pdf" --paper A5 --duplex >/dev/null
pictures five-chapters "$tmp/five.pdf"
"$BIN/bookmaker" pdf tests/fixtures/article/article.md -o "$tmp/article.pdf" >/dev/null
pictures article "$tmp/article.pdf"
"$BIN/bookmaker" pdf tests/fixtures/technical -o "$tmp/technical.pdf" >/dev/null
pictures technical "$tmp/technical.pdf"
rm -rf "$out/scripts" && mkdir -p "$out/scripts"
# lang:page — a page of text (the Persian and Thai chapters have a heading other than the title: the book layout, a title page and contents first)
for pick in fa:3 he:1 hi:1 ja:1 ko:1 th:3 zh-Hans:1; do
  lang=${pick%%:*} page=${pick##*:}
  "$BIN/bookmaker" pdf "tests/fixtures/fonts/$lang" -o "$tmp/$lang.pdf" >/dev/null
  pdftoppm -png -r 70 -f "$page" -l "$page" -singlefile "$tmp/$lang.pdf" "$tmp/script-$lang"
  # the top of the page, where its text is (A4 at 70 dpi is 579 x 819 px)
  "$BIN/python" -c 'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); im.crop((0, 40, im.width, 480)).quantize(colors=32).save(sys.argv[2], optimize=True)' \
    "$tmp/script-$lang.png" "$out/scripts/$lang.png"
done
du -sh "$out"/*
