"""`model status` logic against the kubernetes client's own model objects and fake APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import (
    V1Container,
    V1ContainerStatus,
    V1Deployment,
    V1DeploymentSpec,
    V1EnvVar,
    V1LabelSelector,
    V1ObjectMeta,
    V1Pod,
    V1PodList,
    V1PodSpec,
    V1PodStatus,
    V1PodTemplateSpec,
)

from model.gitops import status
from model.gitops.overlay import OverlayState

pytestmark = pytest.mark.unit

GOOD = "sha256:" + "a" * 64
OLD = "sha256:" + "0" * 64
SHA = "f" * 64
DESIRED = OverlayState(
    image="ghcr.io/org/credit-scoring", digest=GOOD, model_sha256=SHA, annotations={}
)


def _deployment(digest: str, sha: str) -> V1Deployment:
    container = V1Container(
        name="server",
        image=f"ghcr.io/org/credit-scoring@{digest}",
        env=[V1EnvVar(name="MODEL_SHA256", value=sha)],
    )
    return V1Deployment(
        metadata=V1ObjectMeta(name="credit-scoring", namespace="credit-scoring-staging"),
        spec=V1DeploymentSpec(
            selector=V1LabelSelector(match_labels={"app.kubernetes.io/component": "server"}),
            template=V1PodTemplateSpec(spec=V1PodSpec(containers=[container])),
        ),
    )


def _pod(digest: str) -> V1Pod:
    state = V1ContainerStatus(
        name="server",
        image="x",
        image_id=f"ghcr.io/org/credit-scoring@{digest}",
        ready=True,
        restart_count=0,
    )
    return V1Pod(status=V1PodStatus(container_statuses=[state]))


class FakeApps:
    def __init__(self, deployment: V1Deployment) -> None:
        self.deployment, self.calls = deployment, []

    def read_namespaced_deployment(self, name: str, namespace: str) -> V1Deployment:
        self.calls.append((name, namespace))
        return self.deployment


class FakeCore:
    def __init__(self, pods: list[V1Pod]) -> None:
        self.pods, self.selectors = pods, []

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> V1PodList:
        self.selectors.append(label_selector)
        return V1PodList(items=self.pods)


class FakeCustom:
    def __init__(self, sync: str, health: str) -> None:
        self.app = {
            "status": {"sync": {"status": sync, "revision": "abc123"}, "health": {"status": health}}
        }

    def get_namespaced_custom_object(self, *args: Any) -> dict[str, Any]:
        assert args == (
            "argoproj.io",
            "v1alpha1",
            "argocd",
            "applications",
            "credit-scoring-staging",
        )
        return self.app


def _live(
    digest: str = GOOD,
    running: tuple[str, ...] = (GOOD,),
    sync: str = "Synced",
    health: str = "Healthy",
    sha: str = SHA,
) -> status.Live:
    apps = FakeApps(_deployment(digest, sha))
    core = FakeCore([_pod(d) for d in running])
    live = status.read_live(apps, core, FakeCustom(sync, health), "staging")
    assert apps.calls == [("credit-scoring", "credit-scoring-staging")]
    assert core.selectors == ["app.kubernetes.io/component=server"]
    return live


def test_matching_cluster_has_no_problems() -> None:
    live = _live()
    assert (live.sync, live.health, live.revision) == ("Synced", "Healthy", "abc123")
    assert status.compare(DESIRED, live) == []


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"sync": "OutOfSync"}, "OutOfSync/Healthy"),
        ({"health": "Degraded"}, "Synced/Degraded"),
        ({"digest": OLD, "running": (OLD,)}, "Deployment spec pins"),
        ({"running": (GOOD, OLD)}, "pods run"),  # rollout half done
        ({"running": ()}, "pods run nothing"),
        ({"sha": "e" * 64}, "MODEL_SHA256"),
    ],
)
def test_each_mismatch_is_reported(kwargs: dict[str, Any], needle: str) -> None:
    problems = status.compare(DESIRED, _live(**kwargs))
    assert len(problems) >= 1
    assert any(needle in p for p in problems), problems


def test_status_reads_desired_state_from_the_overlay(tmp_path: Path) -> None:
    import shutil

    from model.gitops import overlay
    from model.gitops.trailers import Release

    shutil.copytree(Path(__file__).resolve().parents[2] / "k8s", tmp_path / "k8s")
    overlay.write(
        tmp_path,
        "staging",
        Release(
            environment="staging",
            model_version="v",
            model_sha256=SHA,
            data_md5="d",
            image="ghcr.io/org/credit-scoring",
            image_digest=GOOD,
            source_commit="c",
        ),
    )
    apis = (
        FakeApps(_deployment(GOOD, SHA)),
        FakeCore([_pod(GOOD)]),
        FakeCustom("Synced", "Healthy"),
    )
    live, problems = status.status(tmp_path, "staging", apis)
    assert problems == [] and live.running_digests == [GOOD]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_status_reads_the_namespace_the_overlay_deploys_to(env: str) -> None:
    import yaml

    overlay = Path(__file__).resolve().parents[2] / "k8s/overlays" / env
    assert (
        status.namespace(env)
        == yaml.safe_load((overlay / "kustomization.yaml").read_text())["namespace"]
    )


class FlakyCustom(FakeCustom):
    """Argo CD's Application: missing at first (404), then OutOfSync, then Synced."""

    def __init__(self, states: list[tuple[str, str] | None]) -> None:
        super().__init__("Synced", "Healthy")
        self.states = states

    def get_namespaced_custom_object(self, *args: Any) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if state is None:
            raise RuntimeError("404: applications.argoproj.io not found")
        sync, health = state
        self.app["status"] = {"sync": {"status": sync, "revision": "abc123"},
                              "health": {"status": health}}  # fmt: skip
        return super().get_namespaced_custom_object(*args)


def _overlay_repo(tmp_path: Path) -> Path:
    import shutil

    from model.gitops import overlay
    from model.gitops.trailers import Release

    shutil.copytree(Path(__file__).resolve().parents[2] / "k8s", tmp_path / "k8s")
    release = Release(
        environment="staging", model_version="v", model_sha256=SHA, data_md5="d",
        image="ghcr.io/org/credit-scoring", image_digest=GOOD, source_commit="c",
    )  # fmt: skip
    overlay.write(tmp_path, "staging", release)
    return tmp_path


def test_wait_polls_through_a_missing_app_until_it_matches(tmp_path: Path) -> None:
    root = _overlay_repo(tmp_path)
    custom = FlakyCustom([None, ("OutOfSync", "Progressing"), ("Synced", "Healthy")])
    apis = (FakeApps(_deployment(GOOD, SHA)), FakeCore([_pod(GOOD)]), custom)
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    live, problems = status.wait_for(root, "staging", apis, 60, 5, lambda: now[0], sleep)
    assert problems == [] and live is not None and live.sync == "Synced"
    assert slept == [5, 5]


def test_wait_gives_up_at_the_deadline_with_the_last_problems(tmp_path: Path) -> None:
    root = _overlay_repo(tmp_path)
    apis = (FakeApps(_deployment(GOOD, SHA)), FakeCore([_pod(GOOD)]), FlakyCustom([None]))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    live, problems = status.wait_for(root, "staging", apis, 12, 5, lambda: now[0], sleep)
    assert live is None and problems == [
        "cannot read live state: 404: applications.argoproj.io not found"
    ]
    assert now[0] == 15  # polled at 0, 5, 10 and 15 s, then stopped
