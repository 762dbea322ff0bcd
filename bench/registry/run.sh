#!/usr/bin/env bash
# Query Registry Tags benchmark: real registry (100 / 1,000 / 10,000 tags) vs skopeo, and request counts on
# the paginating double. Writes the "registry" section of bench/RESULTS.md. Needs Node >= 22.19 (undici 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
bash scripts/ensure-system.sh
exec node -r ./test/stack/n8n/tsRequire.js bench/registry/run.ts "$@"
