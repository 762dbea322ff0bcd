#!/usr/bin/env bash
# Prints the directory holding real buildkitd and buildctl for the test stack's Job simulator, and installs the
# Debian packages the simulated build pod runs them with (runc, rootlesskit, uidmap, busybox-static).
#
# The binaries come from $BUILDKIT_BIN_DIR when set (e.g. the bin/ of an official BuildKit release), else from
# the cache beside Node 24 and n8n, where they are built once per machine from ../shared/buildkit (BuildKit
# v0.24.0 source with vendored modules; Go 1.23 from Debian bookworm-backports, see its README).
#
# Exit 0: the directory is on stdout. Exit 3: no real BuildKit here (the reason is on stderr); the tests then
# use the simulated builder and say so. Any other exit: a real failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VERSION=v0.24.0
CACHE="${BUILDKIT_CACHE_DIR:-$HOME/.cache/n8n-nodes-buildkit}"
DIR="$CACHE/buildkit-$VERSION"
SOURCE="${BUILDKIT_SOURCE_TARBALL:-$HERE/../../shared/buildkit/buildkit-$VERSION-src.tar.gz}"
GO=/usr/lib/go-1.23/bin/go

unavailable() { echo "ensure-buildkit: no real BuildKit: $1" >&2; exit 3; }

is_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "$@" >&2
}

# What the build pod's containers run besides buildkitd/buildctl: runc (the OCI worker), rootlesskit and
# newuidmap/newgidmap (rootless mode), a static busybox (the base image and the SBOM scanner image of the tests).
runtime_missing=()
for pair in runc:runc rootlesskit:rootlesskit newuidmap:uidmap git:git; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || runtime_missing+=("${pair#*:}")
done
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || runtime_missing+=(busybox-static)
if [ ${#runtime_missing[@]} -gt 0 ]; then
  is_root_with_apt || unavailable "missing Debian packages ${runtime_missing[*]} (sudo apt-get install ${runtime_missing[*]})"
  apt_install "${runtime_missing[@]}"
fi
command -v unshare >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 || unavailable "util-linux's unshare and setpriv are missing"
[ "$(id -u)" = 0 ] || unavailable "the Job simulator needs root to give each build pod its own mount namespace (running as uid $(id -u))"

check_binaries() {
  local dir="$1"
  for bin in buildkitd buildctl; do
    [ -x "$dir/$bin" ] || { echo "ensure-buildkit: $dir/$bin is missing or not executable" >&2; return 1; }
  done
  "$dir/buildctl" --version >/dev/null || { echo "ensure-buildkit: $dir/buildctl does not run" >&2; return 1; }
}

if [ -n "${BUILDKIT_BIN_DIR:-}" ]; then
  check_binaries "$BUILDKIT_BIN_DIR" || exit 1
  echo "$BUILDKIT_BIN_DIR"
  exit 0
fi

if [ ! -f "$DIR/.installed" ]; then
  [ -f "$SOURCE" ] || unavailable "neither BUILDKIT_BIN_DIR nor the BuildKit source ($SOURCE) is there"
  if [ ! -x "$GO" ]; then
    is_root_with_apt || unavailable "Go 1.23 ($GO) is missing; install golang-1.23-go from bookworm-backports"
    # bookworm-backports is not in a fresh machine's sources: a deb822 entry with the same mirror and key
    # as the machine's Debian entry.
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      main=/etc/apt/sources.list.d/debian.sources
      [ -f "$main" ] || unavailable "no $main to copy the Debian mirror from for bookworm-backports"
      uris="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$main")"
      key="$(awk '/^Signed-By:/ {print $2; exit}' "$main")"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uris" "$key" \
        > /etc/apt/sources.list.d/bookworm-backports.sources
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.23-go >&2
  fi
  echo "ensure-buildkit: building buildkitd and buildctl $VERSION into $DIR (once per machine, 1-4 min)" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tar -xzf "$SOURCE" -C "$work"
  mkdir -p "$DIR/bin"
  (cd "$work/buildkit-$VERSION" &&
    CGO_ENABLED=0 GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOCACHE="$work/go-cache" GOPATH="$work/go" \
      "$GO" build -o "$DIR/bin/" -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$VERSION" \
      -tags "osusergo netgo static_build" ./cmd/buildctl ./cmd/buildkitd >&2)
  check_binaries "$DIR/bin"
  touch "$DIR/.installed"
fi
echo "$DIR/bin"
