#!/usr/bin/env bash
# The timeline page's tests drive a real headless browser: Debian's `chromium` package, through
# Playwright's `executable_path` (Playwright's own browser download cannot work offline, so never
# `playwright install`). Install it when it is missing and we can (root with apt); else say how.
set -euo pipefail
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if [ "${EUID:-1}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests (apt-get install -y chromium)"
    if apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; then
        exit 0
    fi
fi
{
    echo "make test: the browser tests need Chromium, and it is not installed."
    echo "Install Debian's package as root, then run \`make test\` again:"
    echo "    apt-get update && apt-get install -y chromium"
    echo "(or put a \`chromium\` executable on PATH). Do not run \`playwright install\`: it downloads a browser."
} >&2
exit 1
