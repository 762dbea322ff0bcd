#!/usr/bin/env bash
# Wait for Rollout benchmark: our watcher (shared and per-request connections) vs kubectl rollout status vs
# flux-style 2 s polling on the Kubernetes stand-in (needs kubectl on PATH). Writes the rollout section of
# bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
command -v kubectl >/dev/null || { echo "kubectl is not on PATH" >&2; exit 1; }
exec node test/stack/k8s/run-ts.cjs bench/rollout/rollout.bench.ts
