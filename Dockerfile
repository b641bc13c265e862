# papersieve's one image for compose.yaml: the group web app, the scheduler and the Ray head
# (README "Deployment (compose)"). No secret is in it: they come from the environment at run time.
# tests/test_deploy_files.py checks this file against pyproject.toml and the CLI.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The PostgreSQL store (psycopg 3) and Ray (the version pinned in pyproject.toml).
RUN pip install ".[postgres,ray]"
COPY deploy/scheduler.sh /usr/local/bin/papersieve-scheduler

RUN useradd --create-home --uid 10001 papersieve \
    && mkdir /data \
    && chown papersieve:papersieve /data
USER papersieve
ENV PAPERSIEVE_HOME=/data
WORKDIR /data
EXPOSE 8000

# No HEALTHCHECK here: the image serves three roles (web, scheduler, Ray head); compose.yaml
# checks PostgreSQL, the one service the others wait for.
CMD ["papersieve", "--help"]
