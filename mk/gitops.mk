# GitOps CD: manifest checks, Argo CD schema validation, promotion helpers, kind e2e.
# Every target here is what CI runs, so a developer can run the same line locally.

K8S_VERSION ?= 1.35.0
CHECKOV_VERSION ?= 3.3.30
CHECKOV := $(UV) tool run --from 'checkov==$(CHECKOV_VERSION)' checkov --skip-download --quiet --compact
OVERLAYS := staging prod
RENDER_DIR := .state/rendered
ENV ?= staging
# The repository Argo CD follows; e2e-kind passes its own clone URL.
REPO_URL ?= https://github.com/credit-scoring/credit-scoring.git
CANONICAL_REPO_URL := https://github.com/credit-scoring/credit-scoring.git
ARGOCD_VERSION ?= v3.0.0

.PHONY: manifests-render manifests-check argocd-validate monitoring-validate gitops-test gitops-bench \
	kind-argocd-install kind-eso-install kind-argocd-apply kind-smoke

scripts/node_modules/.package-lock.json: scripts/package.json scripts/package-lock.json
	npm ci --prefix scripts --no-audit --no-fund --loglevel=error

manifests-render: ## Render each overlay with kubectl kustomize into .state/rendered/
	@mkdir -p $(RENDER_DIR)
	@for env in $(OVERLAYS); do kubectl kustomize k8s/overlays/$$env > $(RENDER_DIR)/$$env.yaml || exit 1; \
		echo "rendered k8s/overlays/$$env -> $(RENDER_DIR)/$$env.yaml"; done
	kubectl kustomize k8s/monitoring > $(RENDER_DIR)/monitoring.yaml

# checkov skips, each with its reason:
#  - k8s/base (with its hooks/) is scanned only as rendered through the overlays: on its own
#    it has no namespace and no image digest by design (the overlays set both).
#  - Dockerfile CKV_DOCKER_2 (HEALTHCHECK): the serving design is HEALTHCHECK-free on purpose;
#    Kubernetes readiness/liveness probes (k8s/base Deployment) do the checking.
#  - Dockerfile CKV_DOCKER_7 (base tag): `FROM ${BASE_IMAGE}` is an ARG whose default is the
#    pinned tag python:3.11-slim-bookworm; checkov cannot resolve ARGs and reads "no tag".
DOCKERFILE_SKIPS := CKV_DOCKER_2,CKV_DOCKER_7
manifests-check: env manifests-render argocd-validate monitoring-validate workflows-validate ## kustomize + kubernetes-validate --strict + checkov (0 failures) + Argo CD, Prometheus Operator, Argo Workflows and External Secrets schemas
	$(RUN) kubernetes-validate --strict --quiet -k $(K8S_VERSION) $(addprefix $(RENDER_DIR)/,$(addsuffix .yaml,$(OVERLAYS) monitoring))
	$(RUN) kubernetes-validate --strict --quiet -k $(K8S_VERSION) argocd/notifications/*.yaml
	$(CHECKOV) -d k8s --framework kustomize --skip-path k8s/base
	$(CHECKOV) -d argocd --framework kubernetes
	@if [ -f Dockerfile ]; then $(CHECKOV) -f Dockerfile --framework dockerfile --skip-check $(DOCKERFILE_SKIPS); \
		else echo "manifests-check: no Dockerfile yet (serving area), nothing to scan"; fi

argocd-validate: scripts/node_modules/.package-lock.json ## Validate argocd/ against the Argo CD CRD schemas (npm @kubernetes-models/argo-cd)
	node scripts/validate-argocd.mjs argocd

# kubernetes-validate skips the monitoring.coreos.com kinds (no schema); these schemas do not.
monitoring-validate: scripts/node_modules/.package-lock.json manifests-render ## Validate rendered k8s/monitoring against the Prometheus Operator CRD schemas
	node scripts/validate-crds.mjs $(RENDER_DIR)/monitoring.yaml k8s/kind

gitops-test: env ## GitOps unit + e2e tests (real git, bare origin, kustomize, checkov)
	$(RUN) pytest tests/unit/test_gitops_*.py tests/integration/test_gitops_*.py tests/e2e/test_gitops.py tests/e2e/test_manifests_docker.py -q

gitops-bench: env ## Promotion and audit benchmarks against local bare repos
	$(RUN) python benchmarks/gitops.py

# --- GitHub only (e2e-kind.yaml): a kind cluster exists there, not on this machine. ---
kind-argocd-install: ## Install Argo CD (pinned manifest) into the current kube context
	kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f -
	kubectl apply -n argocd --server-side -f https://raw.githubusercontent.com/argoproj/argo-cd/$(ARGOCD_VERSION)/manifests/install.yaml
	kubectl -n argocd rollout status deploy/argocd-repo-server --timeout=300s
	kubectl -n argocd rollout status deploy/argocd-applicationset-controller --timeout=300s
	kubectl -n argocd rollout status statefulset/argocd-application-controller --timeout=300s

# The External Secrets Operator (pinned chart; installs its CRDs) and, for kind only, the
# `credit-scoring` ClusterSecretStore on the operator's fake provider: the overlays carry
# ExternalSecrets, which Argo CD cannot sync (nor call Healthy) without the operator.
ESO_CHART_VERSION ?= 0.19.1
kind-eso-install: ## External Secrets Operator + a fake `credit-scoring` store (kind only)
	helm repo add external-secrets https://charts.external-secrets.io
	helm upgrade --install external-secrets external-secrets/external-secrets \
		--version $(ESO_CHART_VERSION) -n external-secrets --create-namespace \
		--set installCRDs=true --wait --timeout 5m
	kubectl apply --server-side -f k8s/kind/credit-scoring-clustersecretstore.yaml

# Argo CD's GnuPG keyring (argocd-gpg-keys-cm): the keys the AppProjects' signatureKeys name.
GITHUB_WEB_FLOW_KEY_URL := https://github.com/web-flow.gpg
kind-argocd-gpg-keys: ## Argo CD's GnuPG keyring: GitHub's merge key + .gitops/promoters/*.asc
	@rm -rf .state/argocd-gpg && mkdir -p .state/argocd-gpg
	curl -fsSL $(GITHUB_WEB_FLOW_KEY_URL) -o .state/web-flow.gpg
	$(RUN) model signing argocd-keys .state/argocd-gpg .state/web-flow.gpg
	kubectl -n argocd create configmap argocd-gpg-keys-cm --from-file=.state/argocd-gpg \
		--dry-run=client -o yaml | kubectl apply --server-side --force-conflicts -f -

kind-argocd-apply: kind-argocd-gpg-keys ## Apply argocd/ (root app, notifications config) pointing at REPO_URL
	@for f in argocd/notifications/*.yaml argocd/bootstrap/*.yaml; do \
		sed 's#$(CANONICAL_REPO_URL)#$(REPO_URL)#g' $$f | kubectl apply -f - || exit 1; done

kind-smoke: ## Score one row through the staging Service (port-forward on 127.0.0.1)
	kubectl -n credit-scoring-$(ENV) port-forward svc/credit-scoring 18080:80 >/dev/null 2>&1 & pf=$$!; \
	sleep 3; curl -fsS http://127.0.0.1:18080/v2/health/ready && $(RUN) model selfcheck --url http://127.0.0.1:18080; rc=$$?; kill $$pf; exit $$rc

# --- release.yaml / promote.yaml steps (each a one-liner in the workflow) ---
DVC_REMOTE ?= local

# A merged commit may pin outputs nobody pushed; the pipeline is bit-reproducible, so the
# release rebuilds them rather than fail, and fails closed only when a rebuild differs.
release-model: env ## The train outputs dvc.lock pins: dvc pull, else `dvc repro train`; md5s checked against dvc.lock; pushed to DVC_REMOTE
	$(RUN) model release-model --remote $(DVC_REMOTE)

# pr.yaml: read-only (PR jobs have no credentials and never push); always exits 0 on an answer.
model-remote-status: env ## Say whether DVC_REMOTE already holds the train outputs dvc.lock pins (also to $GITHUB_STEP_SUMMARY)
	$(RUN) model remote-status --remote $(DVC_REMOTE) $(if $(GITHUB_STEP_SUMMARY),--summary "$(GITHUB_STEP_SUMMARY)")

# pipefail: a failing `model facts` fails the step instead of tee's 0 with no outputs.
release-facts: env ## Model facts of HEAD (sha256, version, data md5) as KEY=VALUE, also to $GITHUB_OUTPUT
	@set -o pipefail; $(RUN) model facts | tee -a "$${GITHUB_OUTPUT:-/dev/null}"

release-image-ref: ## IMAGE_NAME (ref[:tag]) + DIGEST -> image=REF@DIGEST, also to $GITHUB_OUTPUT
	@test -n "$$IMAGE_NAME" && test -n "$$DIGEST" || { echo "set IMAGE_NAME and DIGEST" >&2; exit 2; }
	@ref="$${IMAGE_NAME%%$$'\n'*}"; echo "image=$${ref%:*}@$$DIGEST" | tee -a "$${GITHUB_OUTPUT:-/dev/null}"

release-sign: ## cosign keyless: sign IMAGE_REF and attest its SPDX SBOM (sbom.spdx.json)
	@test -n "$$IMAGE_REF" || { echo "set IMAGE_REF=REF@sha256:..." >&2; exit 2; }
	cosign sign --yes "$$IMAGE_REF"
	cosign attest --yes --type spdxjson --predicate sbom.spdx.json "$$IMAGE_REF"

# promote.yaml's dispatch. MODEL and IMAGE_REF are workflow inputs: they come in through the
# environment and reach the shell only quoted, never through make's own expansion;
# `model promote` checks the model name itself (exit 2 on a bad one).
promote-prod-pr: ## MODEL (default credit-scoring) + IMAGE_REF: push the prod promotion branch and open its PR
	@test -n "$$IMAGE_REF" || { echo "set IMAGE_REF=REF@sha256:..." >&2; exit 2; }
	$(RUN) model promote prod --model "$${MODEL:-credit-scoring}" --image "$$IMAGE_REF" --push --open-pr

# promote.yaml runs this when the PROMOTION_TOKEN secret is unset: a PR opened with
# GITHUB_TOKEN triggers no workflows, so its pr/ci checks never report on their own.
promotion-token-warning: ## Warn on the run that the promotion PR is opened with GITHUB_TOKEN
	@echo "::warning title=Promotion PR::PROMOTION_TOKEN is not set; the PR is opened with GITHUB_TOKEN and its checks will not run until someone pushes to it (set a GitHub App token or PAT)"

git-bot-identity: ## Commit as github-actions[bot] (CI promotion commits)
	git config user.name "github-actions[bot]"
	git config user.email "41898282+github-actions[bot]@users.noreply.github.com"

# The release identity signs promotions: git's own user.signingkey + commit.gpgsign, set from
# a CI secret (an ASCII-armored secret key without passphrase). Its public half is committed in
# .gitops/promoters/<env>.asc; see .gitops/promoters/README.md for rotation.
git-signing-key: env ## Import $PROMOTION_GPG_KEY into GNUPGHOME and sign commits here with it
	@$(RUN) model signing setup
