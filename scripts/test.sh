#!/usr/bin/env bash
# The test command (npm test). On a fresh Debian machine it installs what the suites need (Debian packages,
# npm packages, a Node 24 binary and n8n 2.x cached outside the repo), builds, and runs every jest project
# under Node 24, which n8n 2.x and the real Kubernetes client need. Extra args go to jest.
# Real BuildKit (scripts/ensure-buildkit.sh) runs the Jobs' builds when it can be had here; otherwise the run
# says loudly that builds are simulated and why, and at the end which suites built for real and how often.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
[ -d node_modules ] || npm install --ignore-scripts --no-audit --no-fund
NODE24_BIN="$(bash scripts/ensure-node24.sh)"
bash scripts/ensure-n8n.sh >/dev/null
buildkit_status=0
setup_log="$(mktemp)"
BUILDKIT_DIR="$(bash scripts/ensure-buildkit.sh 2>"$setup_log")" || buildkit_status=$?
cat "$setup_log" >&2
if [ "$buildkit_status" = 0 ]; then
  export BUILDKIT_BIN_DIR="$BUILDKIT_DIR"
  echo "real BuildKit: $BUILDKIT_BIN_DIR ($("$BUILDKIT_BIN_DIR/buildctl" --version))" >&2
elif [ "$buildkit_status" = 3 ]; then
  export BUILDKIT_SIMULATED="$(sed -n 's/^ensure-buildkit: no real BuildKit: //p' "$setup_log" | tail -n 1)"
  printf '\n!!! NO REAL BUILDKIT: every build Job is SIMULATED (%s)\n\n' "$BUILDKIT_SIMULATED" >&2
else
  rm -f "$setup_log"
  exit "$buildkit_status"
fi
rm -f "$setup_log"
export BUILDKIT_BUILD_REPORT="$(mktemp)"
export PATH="$NODE24_BIN:$PATH"
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json --noEmit
npx gulp build:icons >/dev/null
npx prettier --check --log-level warn "**/*.ts"
npx eslint .
export NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning ${NODE_OPTIONS:-}"
status=0
npx jest --maxWorkers=2 "$@" || status=$?
node scripts/build-report.js "$BUILDKIT_BUILD_REPORT" >&2 || true
rm -f "$BUILDKIT_BUILD_REPORT"
exit $status
