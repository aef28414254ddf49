# syntax=docker/dockerfile:1
# One image for the five services and the gateway; each container chooses its command.
#
#   docker build -t loconomics:0.1.0 .                     # services + gateway (target runtime)
#   docker build -t loconomics-devtools:0.1.0 --target devtools .   # + localstripe, SMTP sink
#
# Installs are pinned by constraints.txt, the versions the platform was proven with.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/loconomics \
    && /opt/loconomics/bin/pip install "pip<26" "setuptools<81" wheel
WORKDIR /src
COPY constraints.txt ./
COPY libs/plumbing libs/plumbing
COPY services services
COPY gateway gateway
# Regular (not editable) installs: the venv alone is carried to the runtime stage.
# psycopg is the PostgreSQL driver behind <SERVICE>_DATABASE_URL=postgresql+psycopg://...
RUN /opt/loconomics/bin/pip install -c constraints.txt \
        ./libs/plumbing \
        ./services/profiles \
        ./services/booking \
        ./services/billing \
        ./services/governance \
        ./services/notifications \
        ./gateway \
        "psycopg[binary]"

FROM build AS build-devtools
RUN /opt/loconomics/bin/pip install -c constraints.txt localstripe aiosmtpd

# What every final image shares: a non-root user and the environment of the commands.
# /var/lib/loconomics/mail exists here so a volume mounted on it belongs to that user.
FROM ${PYTHON_IMAGE} AS base
ARG APP_UID=10001
RUN groupadd --system --gid ${APP_UID} loconomics \
    && useradd --system --uid ${APP_UID} --gid loconomics --home-dir /app \
        --no-create-home --shell /usr/sbin/nologin loconomics \
    && mkdir -p /app /var/lib/loconomics/mail \
    && chown -R loconomics:loconomics /var/lib/loconomics
WORKDIR /app
ENV PATH=/opt/loconomics/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LOCONOMICS_VAR=/tmp/loconomics \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000

# Local stand-ins for compose: localstripe (default command) and the SMTP sink.
FROM base AS devtools
COPY --from=build-devtools /opt/loconomics /opt/loconomics
COPY deploy/local/smtp_sink.py deploy/local/smtp_sink.py
USER loconomics:loconomics
EXPOSE 1025 8420
CMD ["localstripe", "--port", "8420"]

# The platform image, and the default target (last stage).
FROM base AS runtime
COPY --from=build /opt/loconomics /opt/loconomics
# The two settings files the commands name by path; everything else is in site-packages.
COPY deploy/local/nameko.yaml deploy/local/nameko.yaml
COPY gateway/gunicorn.conf.py gateway/gunicorn.conf.py
USER loconomics:loconomics
EXPOSE 8000 9100
# The gateway by default; a service container runs, for example,
#   nameko run --config deploy/local/nameko.yaml loconomics_booking.service:BookingService
# and a migration container `python -m loconomics_plumbing.migrate upgrade booking`.
CMD ["gunicorn", "-c", "gateway/gunicorn.conf.py", "loconomics_gateway.wsgi:app"]
