#!/usr/bin/env bash
# Set up make_handout on a Debian or Ubuntu machine:
#   1. the system libraries WeasyPrint needs, and the Chinese, Japanese and Korean font
#      (fonts-noto-cjk: too large to bundle), installed with apt only where missing;
#   2. with --test, the PDF readers the tests check leaflets with (poppler-utils: pdfinfo,
#      pdftohtml, pdftotext, pdftoppm; qpdf) and the browser the desk's tests drive (Debian's
#      chromium, at /usr/bin/chromium: Playwright downloads no browser), also only where missing;
#   3. a virtual environment in .venv with make_handout installed (editable); with --test,
#      also its test tools and the optional Dask executor.
# Usage: ./setup.sh          (to render leaflets)
#        ./setup.sh --test   (also the test tools)
set -euo pipefail
cd "$(dirname "$0")"

extras=""
testing=""
# --test also installs the optional Dask executor (make-handout[dask]), so CI tests it.
if [ "${1:-}" = "--test" ]; then extras="[test,dask]"; testing=1; fi

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ -n "$testing" ]; then
  for tool in pdfinfo pdftohtml pdftotext pdftoppm; do
    if ! command -v "$tool" >/dev/null 2>&1; then missing+=(poppler-utils); break; fi
  done
  command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  available=()
  for pkg in "${missing[@]}"; do
    # libharfbuzz-subset0 is a separate package only on newer releases; older ones ship it
    # inside libharfbuzz0b.
    if apt-cache show "$pkg" >/dev/null 2>&1; then available+=("$pkg"); fi
  done
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${available[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
echo "setup: ready (.venv/bin/make-handout)"
