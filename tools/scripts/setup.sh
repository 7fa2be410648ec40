#!/usr/bin/env bash
# Sets up a fresh clone: Node 24 (from the npm registry when the machine's Node is older) and the
# workspace's dependencies from package-lock.json. Safe to run again: it skips what is done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=ensure-node.sh
source tools/scripts/ensure-node.sh

stamp="node_modules/.mcp-install-stamp"
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing dependencies with $(node --version), npm $(npm --version)" >&2
  # Exactly the lock. The lock lists other platforms' optional builds too (tools/scripts/complete-lock.mjs
  # adds those the registry here does not serve; run it after any `npm install` that changes the lock).
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
