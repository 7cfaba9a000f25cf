# release.yaml's `fleet` job: one thin image per fleet model the merge changed (the runtime by
# digest plus one layer of that model's artifacts). MODEL, RUNTIME_REF and REGISTRY come in
# through the environment and reach the shell only quoted, never through make's expansion.

FLEET_CONTEXT_DIR ?= .state/fleet-context

.PHONY: release-fleet-bytecode release-fleet-changed release-fleet-context

# Python's bytecode outside the work tree for the job's later steps: a __pycache__ under the
# shared model/core would dirty a fleet model's reproduced dvc.lock. (PYTHONDONTWRITEBYTECODE
# would make `make env` compile 20k files first, about 60 s a job.)
release-fleet-bytecode: ## CI: later steps write bytecode under $RUNNER_TEMP/pycache (via $GITHUB_ENV)
	@test -n "$$GITHUB_ENV" || { echo "release-fleet-bytecode: GITHUB_ENV is not set (a CI step)" >&2; exit 2; }
	@echo "PYTHONPYCACHEPREFIX=$${RUNNER_TEMP:-/tmp}/pycache" >> "$$GITHUB_ENV"

release-fleet-changed: env ## The fleet models the merge changed (since HEAD^) as JSON; CI: job output `fleet`
	$(RUN) model fleet changed --base HEAD^ $(if $(GITHUB_OUTPUT),--github-output "$$GITHUB_OUTPUT")

release-fleet-context: env ## MODEL + RUNTIME_REF (REF@sha256:…) [+ REGISTRY]: fleet/<MODEL>'s image context; context, tags, build_args also to $GITHUB_OUTPUT
	@test -n "$$MODEL" && test -n "$$RUNTIME_REF" || { echo "set MODEL and RUNTIME_REF=REF@sha256:..." >&2; exit 2; }
	@rm -rf "$(FLEET_CONTEXT_DIR)/$$MODEL"
	$(RUN) model fleet image "$$MODEL" --runtime "$$RUNTIME_REF" --context "$(FLEET_CONTEXT_DIR)/$$MODEL" \
		--registry "$$REGISTRY" $(if $(GITHUB_OUTPUT),--github-output "$$GITHUB_OUTPUT")
