#!/usr/bin/env bash
# Installs the Debian packages the local test stack uses, when missing: git, the CNCF distribution registry,
# skopeo (the benchmark peer), htpasswd, openssl, and Prometheus with its Pushgateway (rules tests and
# delivery metrics). Without root/apt it names the packages to install.
set -euo pipefail
missing=()
for pair in git:git docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils openssl:openssl curl:curl promtool:prometheus prometheus-pushgateway:prometheus-pushgateway; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Debian starts packaged servers as services; the stack runs its own on free loopback ports.
  for service in docker-registry prometheus prometheus-pushgateway prometheus-node-exporter; do
    (systemctl disable --now "$service" || service "$service" stop) >/dev/null 2>&1 || true
  done
else
  echo "missing system packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
