#!/usr/bin/env bash
# Prints the directory holding a real n8n 2.x (node_modules/.bin/n8n), installing it once per machine into a
# cache outside the repo. Recipe from shared/research/n8n.md §1.2: n8n@2.41.1 with the linkedom override,
# --ignore-scripts (the Kafka node's native build needs GitHub), then rebuild sqlite3 and isolated-vm for Node 24.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
NODE24_BIN="$("$HERE/ensure-node24.sh")"
CACHE="${BUILDKIT_CACHE_DIR:-$HOME/.cache/n8n-nodes-buildkit}"
N8N_VERSION="${N8N_VERSION:-2.41.1}"
DIR="$CACHE/n8n-$N8N_VERSION"
if [ ! -f "$DIR/.installed" ]; then
  mkdir -p "$DIR"
  cd "$DIR"
  echo "{\"name\":\"n8n-cache\",\"private\":true,\"overrides\":{\"linkedom\":\"0.18.13\"}}" > package.json
  export PATH="$NODE24_BIN:$PATH"
  export npm_config_nodedir="$(dirname "$NODE24_BIN")"
  echo "installing n8n@$N8N_VERSION into $DIR (once per machine, ~6 min)" >&2
  npm i --no-audit --no-fund --ignore-scripts "n8n@$N8N_VERSION" >&2
  npm rebuild sqlite3 isolated-vm >&2
  touch .installed
fi
echo "$DIR"
