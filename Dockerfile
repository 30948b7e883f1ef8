# Tailhouse collector: OTLP gRPC 4317, OTLP/HTTP 4318, tail events 4319, admin 13133.
# Embedded ClickHouse (chDB) stores under /data; mount a volume there to keep it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid/gid so a mounted /data volume can be prepared with matching ownership.
RUN groupadd --system --gid 10001 tailhouse \
    && useradd --system --uid 10001 --gid tailhouse --home-dir /data --no-create-home --shell /usr/sbin/nologin tailhouse

WORKDIR /opt/tailhouse
COPY pyproject.toml README.md ./
COPY collector ./collector
COPY exporters ./exporters
COPY tailhouse ./tailhouse
COPY config ./config
RUN pip install --no-cache-dir . \
    && mkdir -p /data \
    && chown tailhouse:tailhouse /data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 4317 4318 4319 13133

# /health is 200 only when every exporter can write: its log has room and no damage, the schema is whole.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:13133/health', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["tailhouse"]
CMD ["run", "--config", "/opt/tailhouse/config/docker.yaml", "--log-format", "json"]
