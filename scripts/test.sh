#!/usr/bin/env bash
# The test command (npm test): builds, then runs every jest project under Node 24, which n8n 2.x and the
# real Kubernetes client need, whatever the machine's own Node is. Extra args go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_BIN="$(bash scripts/ensure-node24.sh)"
export PATH="$NODE24_BIN:$PATH"
[ -d node_modules ] || npm ci --ignore-scripts
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json --noEmit
npx gulp build:icons >/dev/null
export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}"
exec npx jest --runInBand=false --maxWorkers=2 "$@"
