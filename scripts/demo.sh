#!/usr/bin/env bash
# npm run demo: on a fresh Debian machine, installs what the demo needs (Debian packages, npm packages, a Node 24
# binary and n8n 2.x cached outside the repo), builds the package, starts the local stack (registry, git over
# HTTP, the Kubernetes API stand-in, whose Jobs build with real BuildKit when available) and real n8n with the package and workflows/, sends one signed push and
# prints each step. Everything listens on 127.0.0.1. Ctrl-C stops everything it started, by PID.
# With KUBECONFIG set, Jobs run on that cluster instead (see README.md, "The demo": DEMO_IMAGE_REPOSITORY,
# DEMO_APP_REPO_URL). DEMO_EXIT=1 exits after the push instead of staying up;
# DEMO_SCREENSHOTS=<dir> saves a PNG of each workflow on the n8n canvas (headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
[ -d node_modules ] || npm install --ignore-scripts --no-audit --no-fund
NODE24_BIN="$(bash scripts/ensure-node24.sh)"
echo "n8n: $(bash scripts/ensure-n8n.sh)"
# The Job's build runs with real BuildKit when it can be had here (scripts/ensure-buildkit.sh); otherwise the
# stand-in simulates it and the demo says why.
if BUILDKIT_DIR="$(bash scripts/ensure-buildkit.sh)"; then export BUILDKIT_BIN_DIR="$BUILDKIT_DIR"; fi
export PATH="$NODE24_BIN:$PATH"
npm run build >/dev/null

node -e "require('./test/stack/n8n/tsRequire'); require('./test/e2e/demo.ts')" &
DEMO_PID=$!
# Ctrl-C reaches the demo process too; it stops the stack and exits. The trap only waits for that (and
# forwards TERM when the script itself is terminated).
trap 'kill -INT "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true' INT
trap 'kill -TERM "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true' TERM
set +e
wait "$DEMO_PID"
status=$?
# A trapped signal interrupts the first wait; wait again until the demo has cleaned up.
kill -0 "$DEMO_PID" 2>/dev/null && wait "$DEMO_PID"
exit $status
