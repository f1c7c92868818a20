# One image for the API (gevent and bulk tiers) and the worker; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml ./
COPY config.py ./
COPY core ./core
COPY service ./service
COPY store ./store
COPY worker ./worker
COPY api ./api
COPY scripts ./scripts
COPY deploy ./deploy
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 codette \
    && mkdir -p /data && chown codette /data && chmod 700 /data

USER codette
ENV CODETTE_DATA_DIR=/data CODETTE_HOST=0.0.0.0 PORT=5000
EXPOSE 5000
# The production server: gunicorn, one gevent worker (deploy/gunicorn.conf.py). `make run` keeps Werkzeug.
CMD ["sh", "-c", "exec python -m gunicorn -c deploy/gunicorn.conf.py --bind 0.0.0.0:${PORT} deploy.wsgi:app"]
