#!/usr/bin/env bash
# Install the Debian/Ubuntu packages bookmaker needs, only those missing.
#   scripts/system-packages.sh book   fonts and the libraries WeasyPrint uses
#   scripts/system-packages.sh test   the above plus Java (EPUBCheck), qpdf, poppler-utils,
#                                     Node.js and Chromium (DAISY Ace), calibre (ebook-convert),
#                                     MuPDF's mutool (an EPUB reader without MathML)
set -euo pipefail

book=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0  # WeasyPrint's layout and fast font subsetting
  fonts-linuxlibertine                                   # the book face: Linux Libertine and Biolinum
  fonts-hosny-amiri                                      # Amiri, for Arabic-script text such as Persian
  fonts-noto-core                                        # Noto Serif Hebrew, Thai, Devanagari and other Indic... (12 MB)
  fonts-noto-cjk                                         # Noto Serif CJK: Japanese, Chinese, Korean forms by lang (57 MB)
  fonts-dejavu-core                                      # fallback for symbols
  fontconfig                                             # fc-match: finds the faces the EPUB's cover and embedded fonts use
  pandoc                                                 # citeproc: formats citations and bibliographies (citations.py)
  ghostscript                                            # PDF/X and --ink grey colour conversion, the cover's barcode
                                                         # and its CMYK profile (libgs-common's default_cmyk.icc)
)
test=(default-jre-headless qpdf poppler-utils chromium nodejs npm calibre
      libfribidi-bin  # GNU FriBidi: the bidi algorithm the right-to-left tests compare with (test_scripts.py)
      mupdf-tools     # MuPDF's mutool: an EPUB reader without MathML (test_accessibility.py)
      zbar-tools)     # zbarimg: reads the paperback cover's barcode back (test_print.py)

wanted=("${book[@]}")
[ "${1:-book}" = test ] && wanted+=("${test[@]}")

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Java may come from elsewhere than Debian's default package.
if [ "${1:-book}" = test ] && command -v java >/dev/null 2>&1; then
  missing=("${missing[@]/default-jre-headless}")
fi
# Node.js may come from elsewhere too (NodeSource's nodejs bundles npm and conflicts with Debian's).
if [ "${1:-book}" = test ] && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bookmaker needs these packages (or your system's equivalents): ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
