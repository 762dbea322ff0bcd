#!/usr/bin/env bash
# Queue-mode load test: 10 apps x 5 commits of signed pushes, some twice, against n8n in queue mode (main +
# webhook process + 2 workers over Redis and PostgreSQL) and against one n8n process. Writes the queueMode
# section of bench/RESULTS.md. Args: [--apps N] [--commits N] [--only queue|single] [--shared-git-cache].
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
unset NODE_OPTIONS
exec node test/stack/k8s/run-ts.cjs bench/queueMode/bench.ts "$@"
