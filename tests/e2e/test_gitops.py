"""GitOps CD on real git with a bare origin: racing pushes, rollback, audit, verify, alias."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from model.core.artifact import bundle_sha256
from model.names import MODEL_PATH
from tests.conftest import GIT_ENV, ROOT, VENV_BIN, run
from tests.tools import require

pytestmark = pytest.mark.e2e
IMAGE = "ghcr.io/org/credit-scoring"
NO_REGISTRY = {"MODEL_REGISTRY": "0"}
CHECKOV_ARGS = [
    "tool",
    "run",
    "--from",
    "checkov==3.3.30",
    "checkov",
    "--skip-download",
    "--quiet",
    "--compact",
]


def digest(i: int) -> str:
    """A distinct, well-formed digest per index."""
    return "sha256:" + f"{i:02x}" * 32


# The GitOps mechanics need a model that dvc.lock pins, not a good one: pin these bytes so the
# test does not pay for a pipeline run (the pipeline has its own tests).
MODEL = b"stand-in for models/model.onnx, pinned by md5 in dvc.lock\n"
META = b'{"stand-in for": "models/model.json, which the model digest covers too"}\n'


@pytest.fixture(scope="module")
def release_origin(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare origin of our own whose main's dvc.lock pins MODEL as models/model.onnx."""
    base = tmp_path_factory.mktemp("gitops")
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    seed = base / "seed"
    run(["git", "clone", "-q", str(bare), str(seed)], base)
    lock_path = seed / "dvc.lock"
    lock = yaml.safe_load(lock_path.read_text())
    for path, data in ((MODEL_PATH, MODEL), ("models/model.json", META)):
        outs = [
            o for st in lock["stages"].values() for o in st.get("outs", []) if o["path"] == path
        ]
        assert outs, f"dvc.lock must pin {path}"
        outs[0]["md5"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    lock_path.write_text(yaml.safe_dump(lock, sort_keys=False))
    run(["git", "commit", "-q", "-am", "pipeline: dvc.lock pins the model under test"], seed)
    run(["git", "push", "-q", "origin", "main"], seed)
    return bare


def promoter(bare: Path, dest: Path) -> Path:
    """A clone with the pinned model in place (git-ignored, as after `dvc pull`)."""
    run(["git", "clone", "-q", str(bare), str(dest)], dest.parent)
    (dest / "models").mkdir(exist_ok=True)
    (dest / MODEL_PATH).write_bytes(MODEL)
    (dest / "models" / "model.json").write_bytes(META)
    return dest


def audit_json(bare: Path, where: Path, env: str = "staging") -> list[dict[str, str]]:
    """The ledger as a fresh clone of origin sees it."""
    fresh = where / "audit-clone"
    shutil.rmtree(fresh, ignore_errors=True)
    run(["git", "clone", "-q", str(bare), str(fresh)], where)
    return json.loads(run(["model", "audit", "--env", env, "--format", "json"], fresh).stdout)


def test_eight_concurrent_promotions_all_land_in_push_order(
    release_origin: Path, tmp_path: Path
) -> None:
    clones = [promoter(release_origin, tmp_path / f"p{i}") for i in range(1, 9)]
    env = {**os.environ, **GIT_ENV, **NO_REGISTRY, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    procs = [
        subprocess.Popen(
            ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(i)}", "--push"],
            cwd=c,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, c in enumerate(clones, start=1)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"{out}\n{err}"
        assert "pushed to origin/main" in out
    entries = audit_json(release_origin, tmp_path)[-8:]
    assert {e["image_digest"] for e in entries} == {digest(i) for i in range(1, 9)}
    # Push order is the order commits sit on origin's main: linear, each on top of the last.
    chain = run(
        [
            "git",
            "--git-dir",
            str(release_origin),
            "rev-list",
            "--reverse",
            "--first-parent",
            "main",
        ],
        tmp_path,
    ).stdout.split()[-8:]
    assert [e["commit"] for e in entries] == chain
    landed = {out.split(" commit ")[1][:12] for out, _ in outputs}
    assert landed == {c[:12] for c in chain}
    merges = run(
        ["git", "--git-dir", str(release_origin), "rev-list", "--merges", "main"], tmp_path
    ).stdout
    assert merges == ""  # rebased, never merged over, never forced


def test_rollback_restores_previous_digest_and_nothing_rebumps(
    release_origin: Path, tmp_path: Path
) -> None:
    ws = promoter(release_origin, tmp_path / "ws")
    for i in (20, 21):
        run(
            ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(i)}", "--push"],
            ws,
            env=NO_REGISTRY,
        )
    bumped = run(["git", "rev-parse", "HEAD"], ws).stdout.strip()
    out = run(["model", "rollback", "staging", "--push"], ws, env=NO_REGISTRY).stdout
    assert f"Rollback-Of {bumped[:12]}" in out
    fresh = tmp_path / "fresh"
    run(["git", "clone", "-q", str(release_origin), str(fresh)], tmp_path)
    rendered = run(["kubectl", "kustomize", "k8s/overlays/staging"], fresh).stdout
    images = {
        c["image"]
        for d in yaml.safe_load_all(rendered)
        if d and d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {f"{IMAGE}@{digest(20)}"}
    last = audit_json(release_origin, tmp_path)[-1]
    assert (last["image_digest"], last["rollback_of"]) == (digest(20), bumped)
    again = run(
        ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(20)}", "--push"],
        ws,
        env=NO_REGISTRY,
    )
    assert "no-op" in again.stdout


def test_verify_passes_then_catches_a_hand_edited_digest(
    release_origin: Path, tmp_path: Path
) -> None:
    ws = promoter(release_origin, tmp_path / "ws")
    run(
        ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(30)}", "--push"],
        ws,
        env=NO_REGISTRY,
    )
    ok = run(["model", "audit", "verify", "--env", "staging", "--no-docker"], ws, env=NO_REGISTRY)
    assert "model = dvc.lock at source commit" in ok.stdout and "BROKEN" not in ok.stdout
    kustomization = ws / "k8s/overlays/staging/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(digest(30), digest(31)))
    run(["git", "commit", "-q", "-am", "hand edit"], ws)
    bad = run(
        ["model", "audit", "verify", "--env", "staging", "--no-docker"],
        ws,
        check=False,
        env=NO_REGISTRY,
    )
    assert bad.returncode == 1
    flat = " ".join(bad.stdout.split())
    assert (
        "BROKEN staging overlay digest = last promotion: "
        f"expected digest {digest(30)}, found {digest(31)}" in flat
    )


def test_prod_promotion_opens_a_branch_not_main(release_origin: Path, tmp_path: Path) -> None:
    ws = promoter(release_origin, tmp_path / "ws")
    run(
        ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(40)}", "--push"],
        ws,
        env=NO_REGISTRY,
    )
    main_before = run(
        ["git", "--git-dir", str(release_origin), "rev-parse", "main"], tmp_path
    ).stdout
    out = run(
        ["model", "promote", "prod", "--image", f"{IMAGE}@{digest(40)}", "--push"],
        ws,
        env=NO_REGISTRY,
    )
    assert "origin/promote/prod-" + "28" * 6 in out.stdout
    assert (
        run(["git", "--git-dir", str(release_origin), "rev-parse", "main"], tmp_path).stdout
        == main_before
    )
    trailers = run(
        [
            "git",
            "--git-dir",
            str(release_origin),
            "log",
            "-1",
            "--format=%(trailers)",
            "promote/prod-" + "28" * 6,
        ],
        tmp_path,
    ).stdout
    assert "Environment: prod" in trailers and f"Image-Digest: {digest(40)}" in trailers


def _rest(uri: str, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{uri}/api/2.0/mlflow/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def test_promotion_sets_the_mlflow_alias_and_verify_checks_it(
    release_origin: Path, mlflow_server: str, tmp_path: Path
) -> None:
    ws = promoter(release_origin, tmp_path / "ws")
    sha = bundle_sha256({"model.json": META, "model.onnx": MODEL})
    try:
        _rest(mlflow_server, "registered-models/create", {"name": "credit-scoring"})
    except urllib.error.HTTPError as exc:
        assert exc.code == 400  # already exists (another test registered it)
    # A run tagged like evaluate's, and a version from it, as `model register` leaves them.
    tags = [{"key": "model_sha256", "value": sha}]
    info = _rest(mlflow_server, "runs/create", {"experiment_id": "0", "tags": tags})["run"]["info"]  # type: ignore[index]
    created = _rest(
        mlflow_server,
        "model-versions/create",
        {
            "name": "credit-scoring",
            "source": f"{info['artifact_uri']}/model",
            "run_id": info["run_id"],
            "tags": tags,
        },
    )
    version = created["model_version"]["version"]  # type: ignore[index]
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    reg = run(["model", "register", "--image", f"{IMAGE}@{digest(50)}"], ws, env=env).stdout
    assert f"already registered: credit-scoring v{version}" in reg
    out = run(
        ["model", "promote", "staging", "--image", f"{IMAGE}@{digest(50)}", "--push"], ws, env=env
    ).stdout
    assert f"MLflow alias staging -> credit-scoring v{version}" in out
    verify = run(
        ["model", "audit", "verify", "--env", "staging", "--no-docker"], ws, env=env
    ).stdout
    assert "ok staging MLflow alias = Git" in " ".join(verify.split())


def test_manifests_render_validate_and_pass_checkov(tmp_path: Path) -> None:
    for env in ("staging", "prod"):
        out = tmp_path / f"{env}.yaml"
        out.write_text(run(["kubectl", "kustomize", str(ROOT / "k8s/overlays" / env)], ROOT).stdout)
        run(
            [
                str(VENV_BIN / "kubernetes-validate"),
                "--strict",
                "--quiet",
                "-k",
                "1.35.0",
                str(out),
            ],
            ROOT,
        )
    checkov = [require("uv"), *CHECKOV_ARGS]  # `make env` puts uv in ~/.local/bin, off PATH
    result = run(
        [*checkov, "-d", "k8s", "--framework", "kustomize", "--skip-path", "k8s/base"], ROOT
    )
    assert "Failed checks: 0" in result.stdout and "Passed checks:" in result.stdout
    assert sys.executable  # the venv under test ran every step above


def test_argocd_objects_match_the_crd_schemas_and_a_broken_one_is_caught(tmp_path: Path) -> None:
    node, npm = require("node"), require("npm")
    if not (ROOT / "scripts/node_modules/@kubernetes-models/argo-cd").is_dir():
        run(
            [npm, "ci", "--prefix", "scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            ROOT,
        )
    good = run([node, "scripts/validate-argocd.mjs", "argocd"], ROOT).stdout
    kinds = {"Application", "ApplicationSet", "AppProject"}
    expected = sum(
        doc.get("kind") in kinds
        for path in (ROOT / "argocd").rglob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    )
    assert expected >= 3
    assert f"{expected} Argo CD object(s) checked, 0 invalid" in good
    app = (ROOT / "argocd/bootstrap/credit-scoring-root-application.yaml").read_text()
    (tmp_path / "app.yaml").write_text(app.replace("limit: 5", "limit: five"))
    bad = run(["node", str(ROOT / "scripts/validate-argocd.mjs"), str(tmp_path)], ROOT, check=False)
    assert bad.returncode == 1 and "retry/limit must be integer" in bad.stderr
