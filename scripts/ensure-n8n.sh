#!/usr/bin/env bash
# Prints the directory holding a real n8n 2.x (node_modules/.bin/n8n), installing it once per machine into a
# cache outside the repo. Recipe: n8n@2.41.1 with the linkedom override,
# --ignore-scripts (the Kafka node's native build needs GitHub), then build sqlite3 and isolated-vm for Node 24.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
NODE24_BIN="$("$HERE/ensure-node24.sh")"
CACHE="${BUILDKIT_CACHE_DIR:-$HOME/.cache/n8n-nodes-buildkit}"
N8N_VERSION="${N8N_VERSION:-2.41.1}"
DIR="$CACHE/n8n-$N8N_VERSION"
# Several test runs on one machine share the cache: one installs or rebuilds at a time, the others wait.
mkdir -p "$CACHE"
exec 9>"$CACHE/.n8n-install.lock"
flock 9
export PATH="$NODE24_BIN:$PATH"
export npm_config_nodedir="$(dirname "$NODE24_BIN")"
# Run from `npm test`, npm passes the project's .npmrc down as npm_config_* variables; ignore-scripts=true
# would turn the rebuild below into a no-op and leave n8n without its SQLite driver.
unset npm_config_ignore_scripts NPM_CONFIG_IGNORE_SCRIPTS

native_modules_load() {
  (cd "$DIR" && node -e 'require("sqlite3"); require("isolated-vm")') >/dev/null 2>&1
}

if [ ! -f "$DIR/.installed" ]; then
  mkdir -p "$DIR"
  cd "$DIR"
  echo "{\"name\":\"n8n-cache\",\"private\":true,\"overrides\":{\"linkedom\":\"0.18.13\"}}" > package.json
  echo "installing n8n@$N8N_VERSION into $DIR (once per machine, ~6 min)" >&2
  npm i --no-audit --no-fund --ignore-scripts "n8n@$N8N_VERSION" >&2
  touch .installed
fi
if ! native_modules_load; then
  (cd "$DIR" && npm rebuild sqlite3 isolated-vm --ignore-scripts=false >&2)
  native_modules_load || { echo "n8n's sqlite3 / isolated-vm did not build for Node 24 in $DIR" >&2; exit 1; }
fi
echo "$DIR"
