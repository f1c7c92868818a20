# One image for the API and the worker; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml ./
COPY config.py ./
COPY core ./core
COPY worker ./worker
COPY api ./api
COPY scripts ./scripts
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 codette \
    && mkdir -p /data && chown codette /data

USER codette
ENV CODETTE_DATA_DIR=/data CODETTE_HOST=0.0.0.0 PORT=5000
EXPOSE 5000
CMD ["python", "-m", "api.wsgi"]
