# The graph360 API (and CLI) image: docker compose builds it as the "api" service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY graph360 ./graph360
COPY queries ./queries
COPY loaders ./loaders
RUN pip install . && rm -rf /src

# An unprivileged user; /keys is created here so the named volume mounted on it is its own.
RUN useradd --create-home --uid 10001 graph360 && mkdir -p /keys /data \
    && chown graph360:graph360 /keys /data
USER graph360
WORKDIR /data

EXPOSE 8000
CMD ["graph360", "serve", "--host", "0.0.0.0", "--port", "8000"]
