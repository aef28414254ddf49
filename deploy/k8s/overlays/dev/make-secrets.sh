#!/usr/bin/env bash
# Writes the dev overlay's secrets as files under secrets/ (gitignored, never committed), with
# fresh random passwords; kustomization.yaml's secretGenerator turns them into Secrets.
#
#   deploy/k8s/overlays/dev/make-secrets.sh          write the files that are missing
#   deploy/k8s/overlays/dev/make-secrets.sh --force  write them all anew (new passwords: the
#                                                    databases and the broker keep the old ones,
#                                                    so only before a first install)
#
# Stripe and SMTP cannot be invented: put your Stripe test-mode keys in
# secrets/billing-stripe.env and your relay's login in secrets/notifications-smtp.env.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/secrets"
force="${1:-}"
mkdir -p "$out"
chmod 700 "$out"
umask 077

random() {
    # URL-safe (hex): the passwords go into URLs.
    if command -v openssl >/dev/null; then openssl rand -hex "${1:-24}"
    else od -An -tx1 -N"${1:-24}" /dev/urandom | tr -d ' \n'; fi
}

write() {  # write FILE: its content on stdin, unless it exists (and no --force)
    local path="$out/$1"
    if [ -e "$path" ] && [ "$force" != "--force" ]; then cat >/dev/null; return; fi
    cat >"$path"
    echo "wrote $path"
}

rabbitmq_password="$(random)"
if [ -e "$out/rabbitmq-default-user.env" ] && [ "$force" != "--force" ]; then
    rabbitmq_password="$(sed -n 's/^password=//p' "$out/rabbitmq-default-user.env")"
fi

write rabbitmq-default-user.env <<ENV
username=loconomics
password=$rabbitmq_password
host=rabbitmq.loconomics.svc
port=5672
provider=rabbitmq
type=rabbitmq
ENV
write rabbitmq-default_user.conf <<CONF
default_user = loconomics
default_pass = $rabbitmq_password
CONF
write loconomics-common.env <<ENV
token-secret=$(random 32)
amqp-uri=amqp://loconomics:$rabbitmq_password@rabbitmq:5672/%2F
ENV
write keda-rabbitmq.env <<ENV
host=http://loconomics:$rabbitmq_password@rabbitmq:15672/
ENV
for owner in profiles booking billing governance notifications gateway; do
    password="$(random)"
    write "$owner-db.env" <<ENV
username=$owner
password=$password
url=postgresql+psycopg://$owner:$password@postgres-$owner-rw:5432/$owner
ENV
done
write billing-stripe.env <<ENV
api-key=sk_test_replace_with_your_stripe_test_key
webhook-secret=whsec_replace_with_your_endpoint_secret
ENV
write notifications-smtp.env <<ENV
username=replace-with-your-smtp-login
password=replace-with-your-smtp-password
ENV
write grafana-admin.env <<ENV
username=admin
password=$(random 16)
ENV
