#!/bin/sh
# The test stack's SBOM generator, speaking BuildKit's scanner protocol: BuildKit runs this entrypoint with
# BUILDKIT_SCAN_SOURCE (the built image's root filesystem) and BUILDKIT_SCAN_DESTINATION (a directory where
# each file is one in-toto statement). The SBOM is deliberately minimal: an SPDX 2.3 document listing the
# image's regular files with their SHA-256, and no packages. Busybox sh and applets only.
set -eu
src="$BUILDKIT_SCAN_SOURCE"
out="$BUILDKIT_SCAN_DESTINATION"
files=""
n=0
cd "$src"
for f in $(find . -type f | sort); do
  case "$f" in *'"'*|*'\'*) continue;; esac
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  n=$((n + 1))
  [ -z "$files" ] || files="$files,"
  files="$files{\"SPDXID\":\"SPDXRef-File-$n\",\"fileName\":\"${f#.}\",\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":\"$sum\"}]}"
done
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"sbom","documentNamespace":"https://sbom-scanner.test.invalid/%s","creationInfo":{"created":"%s","creators":["Tool: n8n-nodes-buildkit-test-sbom-scanner"]},"comment":"Minimal test SBOM: files only, no package detection.","packages":[],"files":[%s]}}\n' \
  "$(date +%s)-$$" "$created" "$files" > "$out/sbom.spdx.json"
