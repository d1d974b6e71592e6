# Production image: gunicorn behind your TLS proxy, static files served by WhiteNoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Pango and fonts for the PDF export (WeasyPrint; see the README's "PDF export").
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them. PIP_EXTRAS=s3 adds django-storages
# for attachments in an S3-compatible bucket (docker compose build --build-arg PIP_EXTRAS=s3).
ARG PIP_EXTRAS=""
COPY pyproject.toml README.md ./
RUN pip install ".${PIP_EXTRAS:+[$PIP_EXTRAS]}"

COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-time-collectstatic-only \
    python manage.py collectstatic --no-input --verbosity 0 \
 && useradd --system --uid 10001 --home-dir /app postmortems \
 && mkdir -p /app/media && chown postmortems /app/media

USER postmortems
EXPOSE 8000

# Migrations run on start; gunicorn's worker timeout (30 s) is above the database connect timeout (5 s).
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 30 --access-logfile -"]
