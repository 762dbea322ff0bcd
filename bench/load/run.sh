#!/usr/bin/env bash
# What installing the package costs every n8n process: load time and RSS on top of n8n-workflow, per node file
# and in all, after first use, and real n8n's start-to-ready time and RSS with and without the package.
# Writes the load section of bench/RESULTS.md. RUNS (default 5) and N8N_RUNS (default 3) set the repetitions.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
bash scripts/ensure-n8n.sh >/dev/null
unset NODE_OPTIONS
exec node -e "require('./test/stack/n8n/tsRequire'); require('./bench/load/packageLoad.ts')"
