#!/usr/bin/env bash
# End-to-end benchmark in real n8n: webhook received → Job created, ours (workflows/build-on-push.json) vs n8n's
# own Webhook → HTTP Request, on the local stack. Writes the e2e section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(bash scripts/ensure-node24.sh):$PATH"
bash scripts/ensure-n8n.sh >/dev/null
exec node -e "require('./test/stack/n8n/tsRequire'); require('./bench/e2e/webhookToJob.ts')"
