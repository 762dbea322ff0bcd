#!/usr/bin/env bash
# The local half of a release, with no network: `npm run release:prepare -- patch|minor|major|<version>`.
# It checks, bumps the version, dates the CHANGELOG's Unreleased section, builds a clean dist/ and packs the
# tarball n8n would install. Committing, tagging and pushing stay with you; publishing is `npm run release`
# (n8n-node release) in CI, which adds npm provenance. n8n-node's local mode is not used: it needs a pushable
# remote and GitHub, and it would regenerate CHANGELOG.md from commit messages (docs/development/releasing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bump="${1:?usage: scripts/release.sh patch|minor|major|<version>}"
export PATH="$(bash scripts/ensure-node24.sh):$PATH"

if [ -n "$(git status --porcelain)" ]; then
	echo "release: the working tree has changes; commit or stash them first" >&2
	exit 1
fi
if ! awk '/^## \[Unreleased\]/ { on = 1; next } /^## \[/ { on = 0 } on && /[^[:space:]]/ { found = 1 } END { exit !found }' CHANGELOG.md; then
	echo "release: CHANGELOG.md says nothing under ## [Unreleased]; write what this release changes first" >&2
	exit 1
fi

npm run lint
npm run typecheck
npm run test:unit

version="$(npm version "$bump" --no-git-tag-version)"
version="${version#v}"
# The Unreleased notes become this version's; a fresh, empty Unreleased section stays on top.
sed -i "0,/^## \[Unreleased\]\$/s//## [Unreleased]\n\n## [$version] - $(date -u +%Y-%m-%d)/" CHANGELOG.md

# A clean dist/: files of deleted sources would otherwise ship (package.json `files` is dist).
rm -rf dist
npm run build
out="${RELEASE_DIR:-$(mktemp -d)}"
mkdir -p "$out"
npm pack --pack-destination "$out"

cat <<EOF

Packed $out/n8n-nodes-buildkit-$version.tgz (install it in n8n to try it: docs/development/releasing.md).
Next: git commit -am "Release $version" && git tag v$version && git push --follow-tags
The tag's CI job publishes with \`npm run release\`.
EOF
