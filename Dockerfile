# The API image: dependencies first (a layer cached until pyproject.toml changes), then the
# source; runs as an unprivileged user; checks the database, migrates, then serves.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY README.md alembic.ini ./
COPY alembic ./alembic
COPY service ./service
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /var/lib/ledger --create-home ledger
USER ledger
# Files the service writes (the first admin key, if LEDGER_ADMIN_TOKEN is unset) go here.
WORKDIR /var/lib/ledger
ENV LEDGER_HOST=0.0.0.0 LEDGER_PORT=8000
EXPOSE 8000
# Checks the database, migrates (idempotent) and serves with LEDGER_WORKERS processes.
CMD ["python", "-m", "service.startup.run"]
