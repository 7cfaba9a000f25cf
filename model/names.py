"""Names shared across the project: model files, the registered model, image names and labels."""

from __future__ import annotations

# The train stage's outputs (dvc.yaml declares the same paths under models/).
SKOPS_FILE = "model.skops"
ONNX_FILE = "model.onnx"
META_FILE = "model.json"
# Everything the server decides with: the scorer and the threshold + contract. One digest
# covers both, so editing model.json is as visible as editing the ONNX bytes.
BUNDLE_FILES = (META_FILE, ONNX_FILE)
PIN_FILE = "model.sha256"  # the bundle digest beside the model, written by the train stage
MODEL_PATH = f"models/{ONNX_FILE}"  # the served artifact in the repository
REGISTERED_MODEL = "credit-scoring"  # the MLflow registered model name

IMAGE_NAME = "credit-scoring"
LOCAL_TAG = f"{IMAGE_NAME}:local"
SERVING_PORT = 8080
IMAGE_MODEL_DIR = "/app/models"  # where the serving image bakes the DVC model outputs

LABEL_REVISION = "org.opencontainers.image.revision"
LABEL_SOURCE = "org.opencontainers.image.source"
LABEL_MODEL_VERSION = "io.credit-scoring.model.version"
LABEL_MODEL_SHA256 = "io.credit-scoring.model.sha256"
LABEL_DATA_MD5 = "io.credit-scoring.data.md5"

RUNTIME_UID = "10001:10001"  # the image's numeric user (Dockerfile `USER`, manifests' runAsUser)
# `docker run` flags for the serving image hardened as the manifests run it: host network
# (never a bridge here), read-only root, no capabilities or privilege gain, /tmp as tmpfs.
HARDENED_RUN_FLAGS = (
    "--network", "host", "--read-only", "--user", RUNTIME_UID, "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges", "--tmpfs", "/tmp",
)  # fmt: skip
