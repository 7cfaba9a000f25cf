# Continuous training: drift check, retrain-as-a-PR, Argo Workflows (docs/training.md).
DRIFT_REFERENCE ?= data/credit_data.csv
DRIFT_CURRENT ?= .state/samples
DRIFT_OUT ?= reports/drift
SNAPSHOT ?=
TRIGGER ?= manual
WORKFLOWS_DIR ?= k8s/workflows

.PHONY: drift-check drift-bench samples-bench retrain workflows workflows-check workflows-validate workflows-submit \
	release-trainer-pin training-test

drift-check: env ## Drift of sampled traffic (DRIFT_CURRENT) vs the training data; exit 1 on drift
	$(RUN) model drift --reference $(DRIFT_REFERENCE) --current $(DRIFT_CURRENT) --out $(DRIFT_OUT)

drift-bench: env ## Time a drift check on 100k sampled rows, from a directory and from a bucket (target <= 5 s)
	$(RUN) python benchmarks/drift.py

samples-bench: env ## Single-row req/s with samples shipped to S3 (moto) at 10% and 100% vs off (target <= 5% cost)
	$(RUN) python benchmarks/samples_s3.py

retrain: env ## Retrain on SNAPSHOT=<csv|url>; push branch retrain/TRIGGER-<stamp> (PR opened in CI)
	$(RUN) model retrain $(if $(SNAPSHOT),--snapshot $(SNAPSHOT)) --trigger $(TRIGGER)

workflows: env ## Re-render the Argo Workflows YAML under k8s/workflows/ from model/training/spec.py
	$(RUN) model workflows render

workflows-check: env ## Fail if k8s/workflows/ differs from the generator
	$(RUN) model workflows render --check

# kubernetes-validate checks the plain kinds and skips the CRDs (no schema); the npm schemas
# check those: Argo Workflows' WorkflowTemplate/CronWorkflow and the ExternalSecrets.
workflows-validate: env scripts/node_modules/.package-lock.json ## Render k8s/workflows; kubernetes-validate --strict + Argo Workflows and External Secrets CRD schemas
	@mkdir -p $(RENDER_DIR)
	kubectl kustomize $(WORKFLOWS_DIR) > $(RENDER_DIR)/workflows.yaml
	$(RUN) kubernetes-validate --strict --quiet -k $(K8S_VERSION) $(RENDER_DIR)/workflows.yaml
	node scripts/validate-workflows.mjs $(RENDER_DIR)/workflows.yaml

# The trainer's digest reaches Git the way the serving digest does: the release builds and
# pushes `--target trainer`, then writes REF@DIGEST (`make release-image-ref` output) here.
release-trainer-pin: env ## IMAGE_REF=REF@sha256:... of the pushed trainer -> k8s/workflows/kustomization.yaml
	@test -n "$$IMAGE_REF" || { echo "set IMAGE_REF=REF@sha256:... (the pushed trainer image)" >&2; exit 2; }
	$(RUN) model workflows pin-trainer --image "$$IMAGE_REF" --out $(WORKFLOWS_DIR)

workflows-submit: env ## Submit credit-scoring-retrain to ARGO_SERVER_URL (token: ARGO_TOKEN)
	$(RUN) model workflows submit

training-test: env ## Drift, workflows, monitoring and retrain tests (+ trainer image when Docker runs)
	$(RUN) pytest tests/unit/test_drift.py tests/unit/test_workflows_render.py tests/integration/test_workflows_kustomize.py tests/integration/test_monitoring_kustomize.py \
		tests/unit/test_workflows_steps.py tests/unit/test_workflows_hardening.py tests/unit/test_monitoring_rules.py \
		tests/unit/test_workflows_loop.py tests/e2e/test_retrain.py tests/e2e/test_trainer_image.py \
		tests/e2e/test_samples_s3.py tests/e2e/test_drift_s3.py tests/e2e/test_retrain_s3.py \
		tests/e2e/test_attention.py tests/e2e/test_new_data_scan.py tests/e2e/test_demo_retrain_loop.py
