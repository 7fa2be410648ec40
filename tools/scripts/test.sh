#!/usr/bin/env bash
# The test command of the README: sets up a fresh clone, makes sure Redis and PostgreSQL answer,
# then lints, type-checks, builds and tests every project (CI runs exactly this). Extra arguments
# go to nx (e.g. --projects=@mcp/otel-bootstrap).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash tools/scripts/setup.sh
source tools/scripts/ensure-node.sh
bash tools/scripts/services.sh
# The web page's end-to-end tests (tools/system-tests/test/web.e2e.test.ts) drive Debian's Chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "test.sh: installing chromium for the browser tests"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium
fi
# The instructions benchmark's smoke test (tools/bench/test/instructions-smoke.test.ts) runs valgrind.
command -v valgrind >/dev/null || { sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"; $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq valgrind; }
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx sync:check
rm -f {apps,libs,tools}/*/test-results/vitest.json
status=0
npx nx run-many -t lint typecheck build test --outputStyle=stream "$@" || status=$?
node tools/scripts/test-summary.mjs || status=$((status == 0 ? 1 : status))
exit $status
