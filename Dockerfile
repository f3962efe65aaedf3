# One image for every instance and for the one-shot migration (deploy/compose.yaml runs both).
# The base is pinned to an exact release; to pin by digest, resolve it once in your registry and
# write `python:3.11.11-slim-bookworm@sha256:...`.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    IMWU_ENVIRONMENT=production \
    IMWU_SIGNING_KEYS_DIR=/data/keys \
    IMWU_DATA_DIR=/data \
    IMWU_STORAGE_URL=file:///data/documents \
    IMWU_DATABASE_URL=sqlite:////data/imwu.sqlite3

# DejaVu Sans: the letters' font (app/letters/render.py finds it under /usr/share/fonts).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# A non-root user owns /data (the file store, the SQLite fallback, signing-key files). The
# ownership is set before VOLUME so that a new named volume starts out owned by it.
RUN useradd --create-home --uid 10001 imwu && mkdir -p /data && chown imwu:imwu /data
VOLUME ["/data"]

WORKDIR /srv/imwu
COPY pyproject.toml alembic.ini README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -e .

USER imwu
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# In production (the default here) the service refuses to start without IMWU_SECRET_KEY, a public
# IMWU_PUBLIC_BASE_URL (the verification URL printed on letters) and signing keys: run
# `imwu keys init` once on the /data volume (or supply PEM files). `imwu serve` migrates, then
# serves; with several instances run `imwu migrate` once first (compose's `migrate` service).
# The first admin's token is in /data/bootstrap-admin-token.
CMD ["imwu", "serve", "--host", "0.0.0.0", "--port", "8000"]
