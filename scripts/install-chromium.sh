#!/usr/bin/env bash
# Installs the browser the web storefront's Playwright tests drive: Debian's chromium package
# (Playwright's own browser downloads are not reachable here). Idempotent; prints the path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then command -v chromium; exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium
