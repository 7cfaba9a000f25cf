"""The fleet ApplicationSet: every release file becomes one valid Application and a valid render.

The generator's output is computed by model/fleet/appset.py from the committed
ApplicationSet (same list x git-files matrix, same Go-template fields); the Applications are
validated against the Argo CD CRD schemas, and a sample is built with kustomize exactly as
its `spec.source.kustomize` says, then validated strictly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

from model.fleet.appset import APPSET, applications, render_text
from model.fleet.layout import DEFAULT_MODEL, FleetError, names
from model.fleet.release import ENVIRONMENTS, FleetRelease, read, write
from tests.conftest import ROOT, VENV_BIN, run

MODELS = [n for n in names(ROOT) if n != DEFAULT_MODEL]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A tree with the committed ApplicationSet and one release file per model and env."""
    (tmp_path / APPSET).parent.mkdir(parents=True)
    shutil.copy(ROOT / APPSET, tmp_path / APPSET)
    for i, (env, model) in enumerate((e, m) for e in ENVIRONMENTS for m in MODELS):
        write(tmp_path, FleetRelease(
            model, env, f"ghcr.io/credit-scoring/{model}", f"sha256:{sha(f'img{model}{env}')}",
            sha(f"model{model}{env}"), str(i + 1),
        ))  # fmt: skip
    return tmp_path


def test_every_release_file_becomes_one_application(fleet: Path) -> None:
    apps = applications(fleet)
    assert len(MODELS) >= 2
    assert sorted(a["metadata"]["name"] for a in apps) == sorted(
        f"{m}-{e}" for m in MODELS for e in ENVIRONMENTS
    )
    for app in apps:
        model, env = (
            app["metadata"]["labels"]["credit-scoring.io/model"],
            app["metadata"]["labels"]["credit-scoring.io/environment"],
        )
        release = read(fleet / "deploy" / env / f"{model}.yaml")
        source = app["spec"]["source"]
        assert source["kustomize"]["images"] == [f"credit-scoring={release.image}@{release.digest}"]
        assert source["path"] == "k8s/base" and (ROOT / source["path"]).is_dir()
        assert app["spec"]["destination"]["namespace"] == f"fleet-{model}-{env}"
        assert release.model_sha256 in source["kustomize"]["patches"][0]["patch"]


def test_applications_match_the_argo_cd_crd_schemas(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "apps"
    out.mkdir()
    for app in applications(fleet):
        (out / f"{app['metadata']['name']}.yaml").write_text(yaml.safe_dump(app))
    said = run(["node", "scripts/validate-argocd.mjs", str(out)], ROOT).stdout
    assert f"{2 * len(MODELS)} Argo CD object(s) checked, 0 invalid" in said


def _kustomization(app: dict, where: Path) -> Path:
    """A kustomization doing what Argo CD does with the Application's kustomize options.

    The base is reached by a relative path, as an overlay would: kustomize refuses absolute ones.
    """
    opts = app["spec"]["source"]["kustomize"]
    name, ref = opts["images"][0].split("=", 1)
    image, digest = ref.split("@", 1)
    where.mkdir()
    (where / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": app["spec"]["destination"]["namespace"],
        "resources": [os.path.relpath(ROOT / app["spec"]["source"]["path"], where)],
        "namePrefix": opts["namePrefix"],
        "labels": [{"pairs": opts["commonLabels"], "includeSelectors": True}],
        "images": [{"name": name, "newName": image, "digest": digest}],
        "patches": opts["patches"],
    }))  # fmt: skip
    return where


def test_a_sample_renders_with_kustomize_and_validates(fleet: Path, tmp_path: Path) -> None:
    app = applications(fleet)[0]
    model = app["metadata"]["labels"]["credit-scoring.io/model"]
    env = app["metadata"]["labels"]["credit-scoring.io/environment"]
    release = read(fleet / "deploy" / env / f"{model}.yaml")
    rendered = run(["kubectl", "kustomize", str(_kustomization(app, tmp_path / "k"))], ROOT).stdout
    out = tmp_path / "rendered.yaml"
    out.write_text(rendered)
    run(
        [str(VENV_BIN / "kubernetes-validate"), "--strict", "--quiet", "-k", "1.35.0", str(out)],
        ROOT,
    )
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered) if d}
    deploy = docs[("Deployment", f"{model}-credit-scoring")]
    server = next(
        c for c in deploy["spec"]["template"]["spec"]["containers"] if c["name"] == "server"
    )
    assert server["image"] == f"{release.image}@{release.digest}"
    assert {"name": "MODEL_SHA256", "value": release.model_sha256} in server["env"]
    assert server["resources"] == release.resources
    assert deploy["metadata"]["namespace"] == f"fleet-{model}-{env}"
    assert deploy["spec"]["selector"]["matchLabels"]["credit-scoring.io/model"] == model
    job = docs[("Job", f"{model}-credit-scoring-selfcheck")]
    env_vars = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MODEL_SHA256", "value": release.model_sha256} in env_vars


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", "../x"), ("env", "dev"), ("image", "ghcr.io/x:latest"), ("digest", "sha256:12"),
        ("model_sha256", "x" * 64), ("model_version", "1; rm"), ("image", 'a"\n  b: c'),
    ],
)  # fmt: skip
def test_release_fields_are_checked_before_they_reach_a_template(
    tmp_path: Path, field: str, value: str
) -> None:
    good = dict(model="churn", env="staging", image="ghcr.io/a/b", digest=f"sha256:{sha('a')}",
                model_sha256=sha("b"), model_version="3")  # fmt: skip
    with pytest.raises(FleetError, match=r"release|model name|env"):
        write(tmp_path, FleetRelease(**{**good, field: value}))
    assert not (tmp_path / "deploy").exists() or not any((tmp_path / "deploy").rglob("*.yaml"))


@pytest.mark.parametrize("text", ["{{.missing}}", '{{ printf "%s" .model }}', "{{.path}}"])
def test_the_renderer_refuses_what_it_cannot_evaluate_exactly(text: str) -> None:
    with pytest.raises(FleetError):
        render_text(text, {"model": "m", "path": {"path": "deploy/staging"}})
