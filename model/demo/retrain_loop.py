"""The demo's retraining loop: a snapshot lands in a local bucket, a PR branch comes back.

The bucket is moto's S3 server on 127.0.0.1; the DVC remote stays the demo's directory. The
commands are the WorkflowTemplates' own (k8s/workflows/), in their order, with a work folder
standing in for the run's volume: `model workflows scan`, `checkout`, `model retrain`,
`model workflows push`, `report`, `mark`. They run inside the trainer image when the Docker
engine has a current one (`make image-trainer`), else as local processes, and the step says
which. For the real data, the newest HOLD_BACK share of credit_data is held back on main at
set-up and released as "next month's outcomes"; a second run with drifted traffic and no new
labels ends in the attention state (exit 3) with its drift report kept.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from model.demo.story import Story

HOLD_BACK = 0.10  # the newest 10% of rows (file order): their outcomes "arrive next month"
DATA_BUCKET, SAMPLES_BUCKET = "credit-scoring-data", "credit-scoring-samples"
SNAPSHOT_KEY = "snapshots/next-month.csv"
TRAINER_IMAGE = "credit-scoring-trainer:local"  # mk/image.mk TRAINER_TAG
KEYS = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"}
REMOTE_LINK = "credit-scoring-dvc-remote"  # .dvc/config's relative default remote, beside a clone
EXIT_ATTENTION = 3  # `model workflows report`: drift without new labels
# Run inside the image: a stale image lacks this function or hashes to another value.
FINGERPRINT = "from model.demo.retrain_loop import package_fingerprint as f; print(f())"


def package_fingerprint() -> str:
    """sha256 over the installed `model` package's .py files (relative path + bytes, sorted)."""
    import hashlib

    import model

    root = Path(model.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def split_next_month(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(this month, next month's outcomes): the last HOLD_BACK of rows, deterministically."""
    cut = len(raw) - round(len(raw) * HOLD_BACK)
    return raw.iloc[:cut], raw.iloc[cut:]


def hold_back(story: Story) -> None:
    """On main, before the first pipeline: pin this month's rows only (a reviewed data change)."""
    from model.core.dataset import RAW_FILE, read_raw, to_csv_bytes

    data = story.ws / "data" / RAW_FILE
    full = data.read_bytes()
    this_month, later = split_next_month(read_raw(data))
    (story.scratch.root / "next-month.csv").write_bytes(full)  # the export that lands later
    data.write_bytes(to_csv_bytes(this_month))
    story.model("data", "update")
    story.git(
        "commit", "-q", "-m", f"data: hold back the newest {len(later)} rows (outcomes pending)"
    )
    story.run.sh("dvc", "push", "-q", cwd=story.ws)
    story.git("push", "-q", "origin", "main")
    story.facts["held_back_rows"] = len(later)


@contextmanager
def local_bucket(story: Story) -> Iterator[Any]:
    """moto's S3 on 127.0.0.1 with the two buckets; the steps get its endpoint and keys."""
    import boto3
    from moto.server import ThreadedMotoServer

    from model.proc import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_DEFAULT_REGION": "us-east-1"}
    # moto keeps its buckets per process, not per server: start from empty ones (a second
    # loop in one process would otherwise find the first one's markers).
    reset = urllib.request.Request(f"{env['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).close()
    story.run.env.update(env | KEYS)
    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="demo", aws_secret_access_key="demo")  # fmt: skip
    try:
        for bucket in (DATA_BUCKET, SAMPLES_BUCKET):
            s3.create_bucket(Bucket=bucket)
        yield s3
    finally:
        server.stop()
        for name in [*env, *KEYS]:
            story.run.env.pop(name, None)


class Steps:
    """Runs `model …` as a WorkflowTemplate step would: in the trainer image, or locally."""

    def __init__(self, story: Story, docker: str | None, image: str = TRAINER_IMAGE) -> None:
        self.story = story
        self.root = story.scratch.root.resolve()
        self.wanted = image
        self.image = image if docker and self._current(docker, image) else None
        self.docker = docker

    def _current(self, docker: str, image: str) -> bool:
        """The image exists locally (never pulled) and holds this very `model` package.

        A tag alone says nothing: an image built from older code answers `--help` as well, and
        would run steps this demo does not expect. So its package's fingerprint must match.
        """
        run, root = self.story.run, self.root
        if run.sh(docker, "image", "inspect", image, cwd=root, ok=(0, 1)).returncode:
            return False
        probe = [docker, "run", "--rm", "--pull=never", "--network", "host",
                 "--entrypoint=python", image, "-c", FINGERPRINT]  # fmt: skip
        found = run.sh(*probe, cwd=root, ok=(0, 1, 2, 125, 126, 127))
        return found.returncode == 0 and found.stdout.strip() == package_fingerprint()

    @property
    def where(self) -> str:
        """How the steps run, for the step's outcome line."""
        if self.image:
            return f"in the trainer image {self.image} (Docker)"
        why = "no Docker engine" if not self.docker else f"no current {self.wanted}"
        return f"as local processes ({why}; `make image-trainer` builds it)"

    def model(self, cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        """One step's `model ARGS` in `cwd`; its output."""
        import sys

        if self.image is None:
            return self.story.run.sh(sys.executable, "-m", "model", *args, cwd=cwd, ok=ok).stdout
        env = [f"--env={k}" for k in (*KEYS, "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                                      "MLFLOW_TRACKING_URI", "GIT_AUTHOR_NAME")]  # fmt: skip
        mount = f"--volume={self.root}:{self.root}"
        cmd = [self.docker or "docker", "run", "--rm", "--pull=never", "--network", "host",
               f"--user={os.getuid()}:{os.getgid()}", "--env=HOME=/tmp", *env, mount,
               f"--workdir={cwd}", "--entrypoint=model", self.image, *args]  # fmt: skip
        return self.story.run.sh(*cmd, cwd=cwd, ok=ok).stdout


def _run_dir(steps: Steps, name: str) -> Path:
    """A fresh work folder (the run's volume) whose clone finds the demo's DVC remote."""
    work = steps.root / "loop" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / REMOTE_LINK).symlink_to(steps.root / "dvc-remote")
    return work


def new_data_run(steps: Steps, s3: Any, snapshot: bytes) -> dict[str, Any]:
    """Land the snapshot; scan -> checkout -> retrain -> push -> report -> mark."""
    s3.put_object(Bucket=DATA_BUCKET, Key=SNAPSHOT_KEY, Body=snapshot)
    work = _run_dir(steps, "new-data")
    found = work / "snapshot"
    steps.model(work, "workflows", "scan", "--snapshots", f"s3://{DATA_BUCKET}/snapshots",
                "--out", str(found))  # fmt: skip
    uri = found.read_text()
    if not uri:
        raise RuntimeError("the scan found no snapshot in the bucket")
    repo = work / "repo"
    origin = str(steps.story.scratch.origin.resolve())
    steps.model(work, "workflows", "checkout", "--repo-url", origin, "--rev", "main",
                "--dest", str(repo))  # fmt: skip
    steps.model(repo, "retrain", "--trigger", "new-data", "--base", "main", "--snapshot", uri,
                "--summary", str(work / "retrain.json"), "--no-push", ok=(0, 1))  # fmt: skip
    steps.model(work, "workflows", "push", "--work", str(work), "--repo", str(repo))
    report = steps.model(work, "workflows", "report", "--work", str(work), "--no-drift",
                         "--no-notify", "--run", "demo-new-data", ok=(0, 1))  # fmt: skip
    steps.model(work, "workflows", "mark", "--snapshot", uri)
    summary = json.loads((work / "retrain.json").read_text())
    saved = steps.root / "reports" / "retrain-new-data.md"
    saved.parent.mkdir(exist_ok=True)
    shutil.copy(repo / ".state" / "retrain" / "report" / "report.md", saved)
    return {"snapshot": uri, **summary, "report": str(saved), "run_report": report}


def _drifted_samples(raw: pd.DataFrame) -> bytes:
    """Sampled traffic that has moved: incomes x1.5 and applicants 12 years older."""
    from model.core.schema import CREDIT_CONTRACT

    moved = raw.assign(Income=raw["Income"] * 1.5, Age=raw["Age"] + 12)
    feats = moved[CREDIT_CONTRACT.feature_names].astype(object).where(moved.notna(), None)
    lines = (json.dumps({"ts": 0, "features": row}) for row in feats.to_dict("records"))
    return ("\n".join(lines) + "\n").encode()


def drift_run(steps: Steps, s3: Any, traffic: pd.DataFrame) -> dict[str, Any]:
    """Drifted samples, no snapshot: checkout -> drift -> retrain -> push -> report (exit 3)."""
    key = "prod/demo-pod/samples-00000000000000000001-1.jsonl"
    s3.put_object(Bucket=SAMPLES_BUCKET, Key=key, Body=_drifted_samples(traffic))
    work = _run_dir(steps, "drift")
    repo = work / "repo"
    origin = str(steps.story.scratch.origin.resolve())
    steps.model(work, "workflows", "checkout", "--repo-url", origin, "--rev", "main",
                "--dest", str(repo))  # fmt: skip
    steps.model(repo, "drift", "--reference", "data/credit_data.csv", "--current",
                f"s3://{SAMPLES_BUCKET}/prod", "--out", str(work / "drift"), ok=(1,))  # fmt: skip
    steps.model(repo, "retrain", "--trigger", "drift", "--base", "main", "--snapshot", "",
                "--summary", str(work / "retrain.json"), "--no-push")  # fmt: skip
    steps.model(work, "workflows", "push", "--work", str(work), "--repo", str(repo))
    report = steps.model(work, "workflows", "report", "--work", str(work), "--drift",
                         "--run", "demo-drift", ok=(EXIT_ATTENTION,))  # fmt: skip
    kept = steps.root / "reports" / "drift-attention"  # what the drift-report artifact holds
    shutil.copytree(work / "drift", kept, dirs_exist_ok=True)
    drifted = json.loads((kept / "drift.json").read_text())["drifted_columns"]
    return {"exit": EXIT_ATTENTION, "drifted": drifted, "report": str(kept / "drift.md"),
            "run_report": report}  # fmt: skip


def retrain_loop(story: Story, docker: str | None, image: str = TRAINER_IMAGE) -> None:
    """Step 9: next month's outcomes -> PR branch; drift without labels -> attention."""
    from model.core.dataset import read_raw

    export = story.scratch.root / "next-month.csv"
    steps = Steps(story, docker, image)
    with local_bucket(story) as s3:
        new = new_data_run(steps, s3, export.read_bytes())
        _, later = split_next_month(read_raw(export))
        drift = drift_run(steps, s3, later)
    branches = story.run.sh("git", "ls-remote", "--heads", str(story.scratch.origin),
                            "retrain/*", cwd=story.scratch.root).stdout  # fmt: skip
    if new.get("branch", "~") not in branches:
        raise RuntimeError(f"no {new.get('branch')} on origin after the new-data run")
    story.facts["retrain_loop"] = {"runs": steps.where, "new_data": new, "attention": drift}
    story.run.say(
        f"ran {steps.where}: next month's outcomes -> {new['branch']} pushed (gate "
        f"{'passed' if new['gate_passed'] else 'failed'}; report {new['report']}); drift in "
        f"{', '.join(drift['drifted'])} without labels -> attention (exit 3), report kept in "
        f"{drift['report']}"
    )
