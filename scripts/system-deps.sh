#!/usr/bin/env bash
# Installs (as root) or checks (otherwise) the system programs the tests need:
# PostgreSQL server binaries, Chromium, poppler (pdftotext), ffmpeg (the motion tests
# make their test clips with it), fonts, and wrk for the web benchmark. Never skips
# silently.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # bench/web.py
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "make test needs these system packages: ${missing[*]}" >&2
  echo "Run 'make test' as root to install them, or install them with your package manager:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
