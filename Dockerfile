# The API image: the locked dependencies first (a layer cached until requirements.lock
# changes; every file checked against its SHA-256), then the source; runs as an
# unprivileged user; checks the database, migrates, then serves.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY service ./service
# No build isolation: the build backend is the locked setuptools installed above.
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --home-dir /var/lib/ledger --create-home ledger \
    && install -d -o ledger -m 0700 /var/lib/ledger/signer
USER ledger
# Files the service writes (the first admin key, if LEDGER_ADMIN_TOKEN is unset) go here.
WORKDIR /var/lib/ledger
# The signing key is never created in the container's layer (a recreated container would
# sign with a new key every verifier rejects): it is read from a Docker secret, and the
# start refuses in one line when it is not mounted. To keep it on a volume instead:
# -e LEDGER_SIGNING_KEY= -e LEDGER_SIGNING_KEY_FILE=/var/lib/ledger/keys/signing.key
# -v ledger-keys:/var/lib/ledger/keys (docs/api-keys.md).
# The signer's record of what it signed (docs/transparency.md §9) cannot live beside the
# read-only secret: it goes to a volume (compose: signer-record), backed up with the key.
ENV LEDGER_SIGNER_RECORD_FILE=/var/lib/ledger/signer/record.signed.json
ENV LEDGER_HOST=0.0.0.0 LEDGER_PORT=8000 LEDGER_SIGNING_KEY=/run/secrets/ledger_signing_key
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Checks the database, migrates (idempotent) and serves with LEDGER_WORKERS processes.
# Logs go to the standard streams only (JSON lines), never to a file in the container.
CMD ["python", "-m", "service.startup.run"]
