#!/usr/bin/env bash
# Makes sure Debian's `prometheus` package (prometheus and promtool) is installed: the tests that run
# a real Prometheus or promtool call this first. Installs it with apt-get (through sudo when not root).
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then exit 0; fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || { echo "ensure-prometheus: apt-get update failed" >&2; exit 1; }
"${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2 \
  || { echo "ensure-prometheus: apt-get install prometheus failed: the prometheus package is needed for this test" >&2; exit 1; }
