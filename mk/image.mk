# Serving image: engine + debootstrap base + docker build (see Dockerfile, docs/serving.md).
DOCKER ?= /usr/bin/docker
IMAGE_BASE ?= local/python:3.11-bookworm
IMAGE_TAG ?= credit-scoring:local
TRAINER_TAG ?= credit-scoring-trainer:local
IMAGE_SOURCE ?= $(shell git config --get remote.origin.url 2>/dev/null)
GIT_SHA = $(shell git rev-parse HEAD 2>/dev/null)
# The model digest (model.json + model.onnx) that the train stage writes; releases pin it.
MODEL_SHA256 = $(shell cat models/model.sha256 2>/dev/null)
DATA_MD5 = $(shell $(RUN) model data md5)
MODEL_VERSION ?= $(shell cut -c1-12 models/model.sha256 2>/dev/null)
# BuildKit builds only the stages the target needs (the trainer stage is large).
IMAGE_BUILD = DOCKER_BUILDKIT=1 $(DOCKER) build --network host --build-arg BASE_IMAGE=$(IMAGE_BASE) \
	--build-arg REVISION=$(GIT_SHA) --build-arg SOURCE=$(IMAGE_SOURCE)

.PHONY: image image-trainer image-engine serve

image-engine:
	scripts/docker-engine.sh
	BASE_IMAGE=$(IMAGE_BASE) scripts/base-image.sh

# The image bakes models/ and reports/metrics.json: `pipeline` (dvc repro --pull) makes sure
# they match dvc.lock and the code, pulling from the remote rather than retraining when it can.
image: image-engine pipeline ## Build the serving image credit-scoring:local (+ :<git sha>)
	$(IMAGE_BUILD) --target runtime \
		--build-arg MODEL_VERSION=$(MODEL_VERSION) --build-arg MODEL_SHA256=$(MODEL_SHA256) \
		--build-arg DATA_MD5=$(DATA_MD5) -t $(IMAGE_TAG) -t credit-scoring:$(GIT_SHA) .

image-trainer: image-engine ## Build the trainer image (pipeline + gitops extras, git)
	$(IMAGE_BUILD) --target trainer -t $(TRAINER_TAG) .

serve: env ## Serve models/ on 127.0.0.1:8080 (model serve)
	$(RUN) model serve
