# Continuous training: drift check, retrain-as-a-PR, Argo Workflows (docs/training.md).
DRIFT_REFERENCE ?= data/credit_data.csv
DRIFT_CURRENT ?= .state/samples
DRIFT_OUT ?= reports/drift
SNAPSHOT ?=
TRIGGER ?= manual

.PHONY: drift-check drift-bench retrain workflows workflows-check workflows-submit training-test

drift-check: env ## Drift of sampled traffic (DRIFT_CURRENT) vs the training data; exit 1 on drift
	$(RUN) model drift --reference $(DRIFT_REFERENCE) --current $(DRIFT_CURRENT) --out $(DRIFT_OUT)

drift-bench: env ## Time a drift check on 100k sampled rows (target <= 5 s)
	$(RUN) python benchmarks/drift.py

retrain: env ## Retrain on SNAPSHOT=<csv|url>; push branch retrain/TRIGGER-<stamp> (PR opened in CI)
	$(RUN) model retrain $(if $(SNAPSHOT),--snapshot $(SNAPSHOT)) --trigger $(TRIGGER)

workflows: env ## Re-render the Argo Workflows YAML under k8s/workflows/ from model/workflows/spec.py
	$(RUN) model workflows render

workflows-check: env ## Fail if k8s/workflows/ differs from the generator
	$(RUN) model workflows render --check

workflows-submit: env ## Submit credit-scoring-retrain to ARGO_SERVER_URL (token: ARGO_TOKEN)
	$(RUN) model workflows submit

training-test: env ## Drift, workflows, monitoring and retrain tests (+ trainer image when Docker runs)
	$(RUN) pytest tests/unit/test_drift.py tests/unit/test_workflows_render.py \
		tests/unit/test_workflows_steps.py tests/unit/test_monitoring_rules.py \
		tests/e2e/test_retrain.py tests/e2e/test_trainer_image.py
