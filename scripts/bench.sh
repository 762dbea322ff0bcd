#!/usr/bin/env bash
# npm run bench: every benchmark in turn (bench/*/run.sh, or run.js under Node 24); each writes its section of
# bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_BIN="$(bash scripts/ensure-node24.sh)"
for dir in bench/*/; do
	if [ -f "$dir/run.sh" ]; then
		echo "== ${dir}run.sh" >&2
		bash "$dir/run.sh"
	elif [ -f "$dir/run.js" ]; then
		echo "== ${dir}run.js" >&2
		PATH="$NODE24_BIN:$PATH" node "$dir/run.js"
	fi
done
