# The API image: installs the package, applies migrations, serves with uvicorn.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md alembic.ini ./
COPY service ./service
COPY alembic ./alembic
RUN pip install .
EXPOSE 8000
# Migrations run before the server starts; they are idempotent (alembic upgrade head).
CMD ["sh", "-c", "alembic upgrade head && exec python -m service.server --host 0.0.0.0 --port 8000"]
