#!/usr/bin/env bash
# The fast inner loop: the unit project under Node 24, no provisioning (no apt, no n8n install). Needs
# node_modules and a Node 24 binary (scripts/ensure-node24.sh prints its folder, downloading it once).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
export NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning ${NODE_OPTIONS:-}"
exec npx jest --selectProjects unit "$@"
