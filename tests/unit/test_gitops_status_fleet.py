"""`model status ENV --model NAME`: a fleet model's live objects vs deploy/ENV/NAME.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from model.config import UsageError
from model.fleet import release
from model.gitops import status
from tests.unit.test_gitops_status import GOOD, OLD, SHA, FakeApps, FakeCore, _deployment, _pod

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
APPSET = ROOT / "argocd/projects/fleet-applicationset.yaml"
BASE_DEPLOYMENT = ROOT / "k8s/base/credit-scoring-deployment.yaml"


class RecordingCustom:
    """Argo CD's Application API: answers for any name and records which one was asked for."""

    def __init__(self, sync: str = "Synced", health: str = "Healthy") -> None:
        self.names: list[str] = []
        self.app = {"status": {"sync": {"status": sync, "revision": "abc123"},
                               "health": {"status": health}}}  # fmt: skip

    def get_namespaced_custom_object(self, *args: Any) -> dict[str, Any]:
        assert args[:4] == ("argoproj.io", "v1alpha1", "argocd", "applications")
        self.names.append(args[4])
        return self.app


def _render(template: str, model: str, env: str) -> str:
    return template.replace("{{.model}}", model).replace("{{.env}}", env)


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_objects_are_the_ones_the_fleet_applicationset_names(env: str) -> None:
    spec = yaml.safe_load(APPSET.read_text())["spec"]["template"]
    base = yaml.safe_load(BASE_DEPLOYMENT.read_text())["metadata"]["name"]
    prefix = _render(spec["spec"]["source"]["kustomize"]["namePrefix"], "churn", env)
    assert status.objects(env, "churn") == status.Objects(
        namespace=_render(spec["spec"]["destination"]["namespace"], "churn", env),
        deployment=prefix + base,
        application=_render(spec["metadata"]["name"], "churn", env),
    )


def test_the_root_model_keeps_its_overlay_objects() -> None:
    assert status.objects("prod") == status.objects("prod", "credit-scoring")
    assert status.objects("prod").application == "credit-scoring-prod"


@pytest.mark.parametrize("name", ["../x", "a;b", "Churn", ""])
def test_a_hostile_name_never_reaches_the_api(name: str) -> None:
    with pytest.raises(UsageError, match="model name"):
        status.objects("staging", name)


def _release(root: Path, digest: str = GOOD) -> Path:
    return release.write(
        root,
        release.FleetRelease("churn", "staging", "ghcr.io/acme/churn", digest, SHA, "v3"),
    )


def test_a_fleet_model_is_compared_with_its_release_file(tmp_path: Path) -> None:
    _release(tmp_path)
    apps, core, custom = FakeApps(_deployment(GOOD, SHA)), FakeCore([_pod(GOOD)]), RecordingCustom()
    desired = release.desired(tmp_path, "staging", "churn")
    live, problems = status.status(
        tmp_path, "staging", (apps, core, custom), model="churn", desired=desired
    )
    assert problems == [] and live.running_digests == [GOOD]
    where = status.objects("staging", "churn")
    assert apps.calls == [(where.deployment, where.namespace)]
    assert custom.names == [where.application]


def test_a_fleet_model_running_another_digest_is_reported(tmp_path: Path) -> None:
    _release(tmp_path, digest=OLD)  # Git moved on (or back); the cluster did not
    apis = (FakeApps(_deployment(GOOD, SHA)), FakeCore([_pod(GOOD)]), RecordingCustom())
    desired = release.desired(tmp_path, "staging", "churn")
    _, problems = status.status(tmp_path, "staging", apis, model="churn", desired=desired)
    assert any("Deployment spec pins" in p and OLD in p for p in problems), problems
    assert any("pods run" in p for p in problems), problems


def test_wait_for_polls_the_fleet_models_application(tmp_path: Path) -> None:
    _release(tmp_path)
    custom = RecordingCustom("OutOfSync", "Progressing")
    apis = (FakeApps(_deployment(GOOD, SHA)), FakeCore([_pod(GOOD)]), custom)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        custom.app["status"] = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}

    desired = release.desired(tmp_path, "staging", "churn")
    live, problems = status.wait_for(
        tmp_path, "staging", apis, 30, 5, lambda: now[0], sleep, model="churn", desired=desired
    )
    assert problems == [] and live is not None and live.sync == "Synced"
    assert custom.names == ["churn-staging", "churn-staging"]


def test_no_release_file_is_a_usage_error_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"deploy/prod/churn.yaml not found.*model promote prod"):
        release.desired(tmp_path, "prod", "churn")
