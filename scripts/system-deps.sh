#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the tests need, when they are missing.
# As root with apt-get, installs them; otherwise names them and fails, so nothing is half set up.
#   WeasyPrint: Pango, PangoFT2 and HarfBuzz's subsetter (fonts embedded in PDFs), plus fonts
#   for Latin, Arabic, Hebrew (DejaVu) and Chinese, Japanese, Korean (WenQuanYi Micro Hei).
#   Browser tests: Debian's Chromium (Playwright drives /usr/bin/chromium; it cannot download one).
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-wqy-microhei chromium)
if [ "${1:-}" = "--runtime" ]; then
  packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-wqy-microhei)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
