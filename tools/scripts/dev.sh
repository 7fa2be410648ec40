#!/usr/bin/env bash
# The run command of the README: sets up a fresh clone and runs the whole system in dev mode
# (every service with the telemetry preload, from source, restarting on change) plus the local
# trace sink on 127.0.0.1:4318, which prints each trace as a tree. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash tools/scripts/setup.sh
source tools/scripts/ensure-node.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
# Dev defaults: every request traced, telemetry exported every second so it shows at once.
export OTEL_TRACES_SAMPLER="${OTEL_TRACES_SAMPLER:-parentbased_always_on}"
export OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-1000}"
export OTEL_METRIC_EXPORT_INTERVAL="${OTEL_METRIC_EXPORT_INTERVAL:-10000}"
# Project references are checked by the test command (nx sync:check); the dev run does not need them.
exec npx nx run-many -t serve --parallel=16 --outputStyle=stream --skip-sync "$@"
