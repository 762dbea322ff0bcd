#!/usr/bin/env bash
# The test command (npm test). On a fresh Debian machine it installs what the suites need (Debian packages,
# npm packages, a Node 24 binary and n8n 2.x cached outside the repo), builds, and runs every jest project
# under Node 24, which n8n 2.x and the real Kubernetes client need. Extra args go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
[ -d node_modules ] || npm install --ignore-scripts --no-audit --no-fund
NODE24_BIN="$(bash scripts/ensure-node24.sh)"
bash scripts/ensure-n8n.sh >/dev/null
export PATH="$NODE24_BIN:$PATH"
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json --noEmit
npx gulp build:icons >/dev/null
npx eslint nodes credentials package.json
export NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning ${NODE_OPTIONS:-}"
exec npx jest --maxWorkers=2 "$@"
