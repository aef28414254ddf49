#!/usr/bin/env bash
# Offline validation of the deployment files, and the validators it needs.
#
#   deploy/check.sh install   install what is missing: promtool (Debian's `prometheus`
#                             package, as root), check-jsonschema and kubernetes-validate
#                             (into the venv); kubectl must already be there (kustomize)
#   deploy/check.sh run       run every validator and stop at the first failure
#   deploy/check.sh           both (what `make test` calls before pytest)
#
# tests/deploy/ runs the same validators, with more checks of its own, under pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.37.0}"

install_promtool() {
    command -v promtool >/dev/null && return
    if [ "$(id -u)" -ne 0 ]; then
        echo "promtool is missing: as root, apt-get install prometheus" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Only promtool is wanted: keep the package's daemon from being started.
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        added=yes
    fi
    apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
    if [ -n "$added" ]; then rm -f "$policy"; fi
    command -v promtool >/dev/null
}

install_python_validators() {
    local missing=()
    [ -x "$VENV/bin/check-jsonschema" ] || missing+=(check-jsonschema)
    [ -x "$VENV/bin/kubernetes-validate" ] || missing+=(kubernetes-validate)
    if [ "${#missing[@]}" -gt 0 ]; then
        "$VENV/bin/pip" install -q -c "$ROOT/constraints.txt" "${missing[@]}"
    fi
}

require_kubectl() {
    if ! command -v kubectl >/dev/null; then
        echo "kubectl is missing: it builds deploy/k8s/overlays/* (kubectl kustomize)" >&2
        exit 1
    fi
}

install() {
    install_promtool
    install_python_validators
    require_kubectl
}

run() {
    cd "$ROOT"
    echo "== compose files against the compose-spec schema"
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec \
        docker-compose.yml deploy/governance-alone/docker-compose.yml

    echo "== Prometheus configuration, rules and rule tests (promtool)"
    promtool check config deploy/prometheus/prometheus.yml
    promtool check rules deploy/prometheus/rules.yml
    (cd deploy/prometheus && promtool test rules rules.test.yml)

    echo "== Kubernetes overlays (kustomize build, kubernetes-validate --strict)"
    # Built from a copy of deploy/ where the dev overlay's make-secrets.sh writes its
    # (gitignored) secret files, so the repository is left as it is. kubernetes-validate skips
    # the operators' kinds (no schema offline); tests/deploy checks their fields.
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' RETURN
    cp -r deploy/k8s deploy/prometheus deploy/grafana "$work/"
    rm -rf "$work/k8s/overlays/dev/secrets"
    "$work/k8s/overlays/dev/make-secrets.sh" >/dev/null
    for overlay in dev production; do
        kubectl kustomize "$work/k8s/overlays/$overlay" >"$work/$overlay.yaml"
        if [ "$overlay" = production ] && grep -q '^kind: Secret$' "$work/$overlay.yaml"; then
            echo "production must reference secrets, never carry them" >&2
            return 1
        fi
        for version in $K8S_VERSIONS; do
            "$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "$work/$overlay.yaml"
        done
    done

    echo "== Grafana dashboard JSON"
    "$VENV/bin/python" -m json.tool deploy/grafana/dashboards/loconomics.json >/dev/null
    echo "deploy: every check passed"
}

case "${1:-all}" in
    install) install ;;
    run) run ;;
    all) install && run ;;
    *) echo "usage: $0 [install|run|all]" >&2; exit 2 ;;
esac
