# Serving image (default target, last stage) and an in-cluster trainer (`--target trainer`).
# Build with BuildKit so that only the stages a target needs are built:
#   DOCKER_BUILDKIT=1 docker build --network host --build-arg BASE_IMAGE=... -t credit-scoring:local .
# `make image` does this with a debootstrap base (nothing can be pulled on the dev machine).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- uv: the pinned uv that exports the lock, the one stage builder and trainer share ----
# (so the trainer never waits on the serving builder, which needs a trained model)
FROM ${BASE_IMAGE} AS uv
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"
WORKDIR /src

# ---- builder: a venv with the project and the `serve` extra only, installed by hash ----
FROM uv AS builder
# binutils only for `strip`; it never reaches the runtime stage.
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml uv.lock ./
# The lock is the single source of versions and hashes; pip verifies every hash.
RUN /opt/uv/bin/uv export --frozen --no-dev --extra serve --no-emit-project --no-header \
        -o /tmp/requirements.txt \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --quiet --require-hashes --no-deps -r /tmp/requirements.txt
COPY README.md ./
COPY model ./model
RUN /opt/venv/bin/pip install --quiet --no-deps . \
 && /opt/venv/bin/pip uninstall --quiet -y setuptools pip
# Dead weight for a Python-only ONNX server (~75 MB): the C-API library (the Python binding
# links the runtime statically), ORT's transformer/quantization tooling, numpy's f2py, and
# debug symbols in wheels that ship unstripped (uvloop alone carries 12 MB of them).
RUN site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && rm -rf "$site"/onnxruntime/capi/libonnxruntime.so* "$site"/onnxruntime/transformers \
        "$site"/onnxruntime/quantization "$site"/onnxruntime/tools "$site"/numpy/f2py \
        "$site"/numpy/distutils \
 && find "$site"/uvloop "$site"/httptools "$site"/numpy/_core "$site"/numpy/random \
        -name '*.so' -exec strip --strip-unneeded {} +
# model.sha256: the digest over model.json + model.onnx that the server checks when no
# deploy-time MODEL_SHA256 is set (local runs; the Deployment sets MODEL_REQUIRE_PIN=1).
COPY models/model.onnx models/model.json models/model.sha256 /out/models/
COPY data.dvc ./
COPY reports/metrics.json ./reports/
ARG REVISION=""
ARG MODEL_VERSION=""
RUN /opt/venv/bin/python -m model.serving.buildinfo --root . --metrics reports/metrics.json \
        --version "${MODEL_VERSION}" --git-commit "${REVISION}" --out /out/models/build-info.json
# Fail the build, not the rollout, if pruning broke anything: load and score one row.
RUN /opt/venv/bin/python -c "from pathlib import Path; from model.serving.app import create_app; \
a = create_app(Path('/out/models')); f = a.schema.fields; \
p = a.model.predict({c.name: [c.column.categories[0] if c.column.categories else float(c.column.minimum or 0)] for c in f}, 1); \
assert 0 <= p[0] <= 1, p; print('smoke: p =', p[0])"

# ---- trainer: the full project (pipeline + gitops extras) and git, for `model retrain` ----
FROM uv AS trainer
# DVC's site cache defaults to /var/tmp, which a read-only root filesystem refuses.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 HOME=/tmp ORT_DISABLE_TELEMETRY=1 \
    DVC_SITE_CACHE_DIR=/tmp/dvc-site-cache
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml uv.lock README.md ./
# s3: the in-cluster workflows push to the team's S3 remote (MODEL_DVC_REMOTE=s3).
RUN /opt/uv/bin/uv export --frozen --no-dev --extra pipeline --extra gitops --extra serve --extra s3 \
        --no-emit-project --no-header -o /tmp/requirements.txt \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --quiet --require-hashes --no-deps -r /tmp/requirements.txt
COPY model ./model
RUN /opt/venv/bin/pip install --quiet --no-deps . && rm -rf /src
RUN useradd --uid 10001 --no-create-home --home-dir /tmp trainer
USER 10001
WORKDIR /work
ENTRYPOINT ["model"]
CMD ["--help"]

# ---- runtime (default): venv + model only, non-root, read-only rootfs friendly ----
FROM ${BASE_IMAGE} AS runtime
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /out/models /app/models
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MODEL_DIR=/app/models TMPDIR=/tmp HOME=/tmp ORT_DISABLE_TELEMETRY=1
# Scratch space is an explicit volume (mount a tmpfs / emptyDir); the rootfs stays read-only.
VOLUME ["/tmp"]
USER 10001:10001
WORKDIR /app
EXPOSE 8080
ARG REVISION=""
ARG SOURCE=""
ARG MODEL_VERSION=""
# The model digest: sha256 of the manifest of model.json + model.onnx (models/model.sha256).
ARG MODEL_SHA256=""
ARG DATA_MD5=""
LABEL org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.title="credit-scoring" \
      io.credit-scoring.model.version="${MODEL_VERSION}" \
      io.credit-scoring.model.sha256="${MODEL_SHA256}" \
      io.credit-scoring.data.md5="${DATA_MD5}"
# No HEALTHCHECK: Kubernetes probes /v2/health/live and /v2/health/ready.
ENTRYPOINT ["python3", "-m", "model.serving"]
CMD ["--model-dir", "/app/models", "--host", "0.0.0.0", "--port", "8080"]
