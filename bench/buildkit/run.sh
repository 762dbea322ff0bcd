#!/usr/bin/env bash
# Real BuildKit build of the demo app through the Job's own containers: a cold build, a warm rebuild of the same
# commit (registry cache hit), and whether SOURCE_DATE_EPOCH from the commit time makes two builds of one commit
# give the same digest. Writes the "buildkit" section of bench/RESULTS.md. Needs root and BuildKit v0.24
# (BUILDKIT_BIN_DIR, or the cache scripts/ensure-buildkit.sh fills).   env RUNS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
bash scripts/ensure-system.sh
exec node -r ./test/stack/n8n/tsRequire.js bench/buildkit/run.ts "$@"
