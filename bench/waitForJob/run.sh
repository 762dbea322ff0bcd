#!/usr/bin/env bash
# Wait for Job benchmark: our watcher vs kubectl wait vs 5 s polling on the Kubernetes stand-in (needs kubectl
# on PATH). Writes the waitForJob section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH" >&2; exit 1; }
exec node test/stack/k8s/run-ts.cjs bench/waitForJob/waitForJob.bench.ts
