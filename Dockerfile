FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    IMWU_ENVIRONMENT=production \
    IMWU_STORAGE_DIR=/data/documents \
    IMWU_SIGNING_KEYS_DIR=/data/keys \
    IMWU_DATA_DIR=/data \
    IMWU_DATABASE_URL=sqlite:////data/imwu.sqlite3

RUN useradd --create-home --uid 10001 imwu && mkdir -p /data && chown imwu /data
WORKDIR /srv/imwu
COPY pyproject.toml alembic.ini README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -e .

USER imwu
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# `imwu serve` migrates the database, then serves. IMWU_SECRET_KEY and IMWU_PUBLIC_BASE_URL
# must be given at run time, and the signing keys must exist: run `imwu keys init` once on the
# /data volume (or supply PEM files). The first admin's token is in /data/bootstrap-admin-token.
CMD ["imwu", "serve", "--host", "0.0.0.0", "--port", "8000"]
