"""The local preview maps a rendered Deployment onto docker flags field by field."""

from pathlib import Path

import pytest

from model.demo.preview import PreviewError, docker_args, pod_spec, render


@pytest.fixture(scope="module")
def spec():  # type: ignore[no-untyped-def]
    return pod_spec(render(Path("k8s/overlays/staging")))


def test_spec_reads_the_manifest(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.port == 8080
    assert spec.ready_path == "/v2/health/ready" and spec.live_path == "/v2/health/live"
    assert spec.digest.startswith("sha256:") and len(spec.digest) == 71
    assert "MODEL_SHA256" in spec.env


def test_docker_flags_carry_the_security_context(spec) -> None:  # type: ignore[no-untyped-def]
    args = docker_args(spec.pod, spec.container)
    joined = " ".join(args)
    assert "--network host" in joined and "--read-only" in args
    assert "--user 10001:10001" in joined and "--cap-drop=ALL" in args
    assert "no-new-privileges" in args
    assert any(a.startswith("/tmp:rw,size=") for a in args)
    assert f"MODEL_SHA256={spec.env['MODEL_SHA256']}" in args
    assert args[-1] == spec.digest or spec.digest in args  # run exactly the pinned image


def test_unpinned_image_is_refused(spec) -> None:  # type: ignore[no-untyped-def]
    from model.demo.preview import PodSpec

    loose = PodSpec(spec.pod, {**spec.container, "image": "credit-scoring:latest"})
    with pytest.raises(PreviewError, match="not pinned by digest"):
        _ = loose.digest


def test_render_failure_is_explained(tmp_path: Path) -> None:
    with pytest.raises(PreviewError, match="kubectl kustomize"):
        render(tmp_path)


def test_the_preview_never_ships_to_the_environments_bucket(spec) -> None:  # type: ignore[no-untyped-def]
    """The Deployment samples to s3://…/staging with keys from a Secret volume; locally
    neither exists, so the preview samples to its own /tmp and mounts no Secret."""
    declared = {e["name"]: e.get("value") for e in spec.container["env"]}
    assert declared["MODEL_SAMPLE_DIR"].startswith("s3://")  # what the cluster does
    args = docker_args(spec.pod, spec.container)
    assert not any(a.startswith("MODEL_SAMPLE_DIR=") for a in args)
    assert "MODEL_SAMPLE_DIR" not in spec.env
    assert f"MODEL_SAMPLE_RATE={declared['MODEL_SAMPLE_RATE']}" in args
    mounts = [a for a in args if a.startswith("/var/run/secrets")]
    assert mounts == [], "a Secret volume has no local source"
