#!/usr/bin/env bash
# The project's test command (README quickstart, and .ci/run): installs what the tests need, then runs them.
# - Python packages: esep itself with its test extra (pytest, hypothesis, openpyxl, Playwright, httpx), bench
#   extra (pandas) and serve extra (Starlette, uvicorn, python-multipart: `esep serve`).
# - Chromium (Debian chromium) for the browser tests of `esep serve`, driven by Playwright through
#   executable_path=/usr/bin/chromium (Playwright's own browser download is not needed).
# - LibreOffice headless (Debian libreoffice-calc-nogui) and Gnumeric (Debian gnumeric, ssconvert) for the
#   tests that recalculate and convert workbooks as real spreadsheet programs; installed when missing and we
#   are root, else those tests skip.
# - python-docx (the document extra) for `esep document`; LibreOffice Writer, poppler-utils and the Carlito
#   font for the print and document tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test,bench,serve,frames,document]'

# install_for COMMAND PACKAGE WHAT: the Debian package that provides COMMAND, when COMMAND is missing and we
# are root with apt-get; otherwise say which tests will be skipped.
install_for() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $2 for $3..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  else
    echo "$1 not found and cannot install $2 (not root): $3 will be skipped" >&2
  fi
}

install_for soffice libreoffice-calc-nogui "the spreadsheet-program tests (LibreOffice)"
install_for chromium chromium "the browser tests of esep serve"
# Gnumeric (ssconvert --recalc): the second spreadsheet engine of tests/test_engines.py.
install_for ssconvert gnumeric "the second spreadsheet-engine tests (Gnumeric)"

# The print tests export the filled example to PDF and read it back: poppler-utils (pdftotext) and the
# Carlito font (Calibri's metrics, so LibreOffice lays out and scales pages as Excel does).
missing_pkgs=()
command -v pdftotext >/dev/null 2>&1 || missing_pkgs+=(poppler-utils)
# `esep document --format pdf` converts DOCX with LibreOffice Writer
if command -v dpkg >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 \
    && ! dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 && ! dpkg -s libreoffice-writer >/dev/null 2>&1; then
  missing_pkgs+=(libreoffice-writer-nogui)
fi
fc-list 2>/dev/null | grep -q Carlito || missing_pkgs+=(fonts-crosextra-carlito)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing_pkgs[*]} for the print tests..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  else
    echo "${missing_pkgs[*]} not installed and cannot install (not root): the print tests will be skipped" >&2
  fi
fi

python3 -m pytest "$@"
