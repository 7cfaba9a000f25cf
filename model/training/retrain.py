"""`model retrain`: turn new data into a pull request, never into a deployment.

Exactly: (1) `model data pull`, then, given a snapshot, validate it against the contract,
put it in data/ and `model data update` (a deliberate re-pin); (2) `dvc repro`; (3) `model report`
against the base branch; (4) commit dvc.lock, data.dvc and the committed reports on
`retrain/<trigger>-<utc stamp>`; (5) `dvc push` and `git push`; (6) open the PR through the
`open_pr` the caller passes (the CLI passes the GitHub REST client when a token is set;
otherwise retrain-pr.yaml opens it for the pushed branch). Identical data md5: do nothing.

A fleet model (`Project` with folder fleet/<name>) runs the same steps in its folder, which is
its own DVC project: its contract.yaml validates the snapshot, its data.dvc is re-pinned,
`dvc repro`/`dvc push` run there, `model report --model NAME`, and only the folder's pins and
reports are committed, on `retrain/<name>-<trigger>-<stamp>` with a `Model:` trailer.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from model import config
from model.config import CheckFailed, UsageError
from model.core.dataset import RAW_FILE
from model.pipeline.datapull import DATA_DVC, workspace_md5
from model.proc import ProcError, run, venv_env

PINS = ["dvc.lock", DATA_DVC]  # relative to the project's folder
REPORTS = "reports"  # only files git already tracks there: metrics, plots, validation
REPORT_DIR = Path(".state/retrain/report")  # .state is gitignored: the report is the PR body
BOT_NAME = "credit-scoring retrain"
BOT_EMAIL = "retrain@credit-scoring.invalid"


class RetrainError(CheckFailed):
    """A step failed; the message names the step and what to do. Nothing was pushed."""


# Opens (or updates) the PR: (head branch, base branch, title, body) -> anything.
OpenPR = Callable[[str, str, str, str], object]


@dataclass(frozen=True)
class Project:
    """What one retrain works on: the root model (the default), or one fleet model's folder.

    The caller (the CLI) has checked `name` and built `folder` from it; `pull` materialises the
    folder's data/ at its pin and returns the md5 (None: `model data pull` at the root).
    """

    name: str | None = None  # None: the root model, exactly as before the fleet
    folder: str = "."
    raw_file: str = RAW_FILE
    pull: Callable[[Path], str] | None = field(default=None, compare=False)

    def path(self, rel: str) -> str:
        """`rel` inside the project's folder, relative to the repository root."""
        return rel if self.folder == "." else f"{self.folder}/{rel}"


class SnapshotError(UsageError):
    """The snapshot given is not usable data (no such file, breaks the contract): exit 2."""


@dataclass
class Outcome:
    """What a retrain did: unchanged, or proposed on `branch` (gate passed or not)."""

    status: str  # "unchanged" | "proposed"
    old_md5: str
    new_md5: str
    folder: str = "."  # the DVC project `workflows push` pushes from
    branch: str = ""
    gate_passed: bool = True
    pushed: bool = False
    pr_title: str = ""
    pr_body: str = field(default="", repr=False)
    pr_opened: bool = False

    def to_json(self) -> str:
        """For `model workflows report`; the PR body is left out (it is the report)."""
        data = asdict(self)
        del data["pr_body"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def branch_name(trigger: str, now: datetime | None = None, model: str | None = None) -> str:
    """`retrain/[<model>-]<trigger>-<yyyymmdd-hhmmss>` with the trigger reduced to [a-z0-9-]."""
    slug = re.sub(r"[^a-z0-9]+", "-", trigger.lower()).strip("-") or "manual"
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"retrain/{model + '-' if model else ''}{slug}-{stamp}"


def sh(
    args: list[str], root: Path, step: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one step's command in `root` (venv first on PATH); raise RetrainError on failure."""
    try:  # children (dvc stages call `python -m model.…`) must find this interpreter's venv
        return run(args, root, env=venv_env(), check=check)
    except FileNotFoundError as err:
        raise RetrainError(f"{step}: `{args[0]}` is not installed ({err.strerror})") from err
    except ProcError as err:
        raise RetrainError(f"{step}: {err}") from err


def dvc(*args: str) -> list[str]:
    """The dvc command line of this interpreter's environment."""
    return [sys.executable, "-m", "dvc", *args]


def model_cli(*args: str) -> list[str]:
    """The `model` command line of this interpreter's environment."""
    return [sys.executable, "-m", "model", *args]


def preflight(root: Path, project: Project = Project()) -> None:
    """Fail before any work when `model report` is missing or the pinned files are dirty."""
    if sh(model_cli("report", "--help"), root, "preflight", check=False).returncode != 0:
        raise RetrainError(
            "preflight: `model report` is not available in this build, and a retrain PR must "
            "carry the same report as a human PR; install a build that has it"
        )
    pins = [project.path(p) for p in PINS]
    dirty = sh(["git", "status", "--porcelain", "--", *pins], root, "preflight")
    if dirty.stdout.strip():
        raise RetrainError(
            f"preflight: {' or '.join(pins)} has uncommitted changes in {root}:\n"
            f"{dirty.stdout.rstrip()}\nretrain from a clean checkout of the base branch"
        )
    use_remote(root, project)


def use_remote(root: Path, project: Project = Project()) -> None:
    """Make MODEL_DVC_REMOTE (e.g. the cluster's s3) this clone's default DVC remote.

    A fleet folder's config names only the root's default remote (model/fleet/pipeline.py), so
    the root's definition of MODEL_DVC_REMOTE is copied into the folder's config.local first.
    """
    remote = config.get(config.MODEL_DVC_REMOTE)
    if not remote:
        return
    work = root / project.folder
    if project.name is not None:
        url = root_remote_url(root, remote)
        sh(dvc("remote", "add", "--local", "--force", remote, url), work, "dvc remote")
    sh(dvc("remote", "default", "--local", remote), work, "dvc remote")


def root_remote_url(root: Path, name: str) -> str:
    """The URL the root's DVC config (config.local over config) gives remote `name`, absolute."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read([root / ".dvc" / "config", root / ".dvc" / "config.local"])
    url = parser.get(f'remote "{name}"', "url", fallback=None)
    url = parser.get(f"'remote \"{name}\"'", "url", fallback=url)
    if url is None:
        raise RetrainError(f"dvc remote: MODEL_DVC_REMOTE={name} is not a remote in {root}/.dvc")
    # a relative directory URL resolves from the root's .dvc/, not from the folder's
    return url if "://" in url or Path(url).is_absolute() else str((root / ".dvc" / url).resolve())


def ensure_base(root: Path, base: str) -> None:
    """Have a local `base` branch for the report (a detached or single-branch clone may not)."""
    has = sh(["git", "rev-parse", "--verify", "-q", f"refs/heads/{base}"], root, "base", False)
    if has.returncode != 0:
        sh(["git", "branch", base, f"origin/{base}"], root, "base")


def fetch_snapshot(snapshot: str, dest: Path, root: Path) -> Path:
    """A local copy of the snapshot: a path, or any URL `dvc get-url` understands."""
    if "://" in snapshot:
        sh(dvc("get-url", snapshot, str(dest)), root, "snapshot")
        return dest
    src = Path(snapshot)
    if not src.is_file():
        raise SnapshotError(f"snapshot: {src} is not a file; pass a CSV with the raw columns")
    shutil.copyfile(src, dest)
    return dest


def install_snapshot(root: Path, snapshot: str, project: Project = Project()) -> None:
    """Validate the snapshot against the project's data contract, then place it in its data/."""
    from model.core.contract import check
    from model.core.contract_file import load
    from model.core.dataset import read_raw

    work = root / project.folder
    contract = [] if project.name is None else [load(work / "contract.yaml")]
    with tempfile.TemporaryDirectory() as tmp:
        local = fetch_snapshot(snapshot, Path(tmp) / project.raw_file, root)
        problems = check(read_raw(local), *contract)
        if problems:
            listed = "\n".join(f"  - {p}" for p in problems)
            raise SnapshotError(
                f"snapshot: {snapshot} breaks the data contract; nothing was changed:\n{listed}"
            )
        shutil.copyfile(local, work / "data" / project.raw_file)


def data_md5(root: Path) -> str:
    """DVC's md5 of data/ as it is now in the work tree."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return str(workspace_md5(repo))


def repin(root: Path, project: Project) -> None:
    """A fleet folder's `model data update`: the snapshot passed its contract; re-pin, stage."""
    from dvc.repo import Repo

    from model.core.dataset import pinned_md5

    work = root / project.folder
    with Repo(str(work)) as repo:
        new = workspace_md5(repo)
        repo.commit(str(work / DATA_DVC), force=True)  # re-hashes data/ into data.dvc, cache
    if new is None or pinned_md5(work) != new:
        raise RetrainError(f"re-pin: {project.path(DATA_DVC)} should pin {new}, yet it does not")
    sh(["git", "add", "--", project.path(DATA_DVC)], root, "re-pin")


def run_report(root: Path, base: str, project: Project = Project()) -> bool:
    """`model report --base BASE [--model NAME]`; True when the gate passed, False when not."""
    which = [] if project.name is None else ["--model", project.name]
    args = model_cli("report", "--base", base, "--out", str(REPORT_DIR), *which)
    proc = sh(args, root, "report", False)
    if proc.returncode not in (0, 1):
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise RetrainError(f"report: `model report` exited {proc.returncode}\n{tail}")
    return proc.returncode == 0


def commit(
    root: Path, branch: str, trigger: str, old: str, new: str, passed: bool,
    project: Project = Project(),
) -> None:  # fmt: skip
    """Commit the project's pinned files on a new branch, with trailers `model audit` parses."""
    sh(["git", "checkout", "-q", "-b", branch], root, "commit")
    sh(["git", "add", "--", *(project.path(p) for p in PINS)], root, "commit")
    sh(["git", "add", "--update", "--", project.path(REPORTS)], root, "commit")
    ident = sh(["git", "config", "user.email"], root, "commit", check=False).stdout.strip()
    who = [] if ident else ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
    model = "" if project.name is None else f"Model: {project.name}\n"
    scope = trigger if project.name is None else f"{project.name}, {trigger}"
    message = (
        f"retrain({scope}): data {old[:8]} -> {new[:8]}\n\n"
        f"Retrained by `model retrain` on new data; the gate {'passed' if passed else 'FAILED'}."
        "\n\n"
        f"Retrain-Trigger: {trigger}\nData-Md5: {new}\nPrevious-Data-Md5: {old}\n{model}"
    )
    sh(["git", *who, "commit", "-q", "-m", message], root, "commit")


def pr_title(out: Outcome, trigger: str, model: str | None = None) -> str:
    """The retrain PR's title: model, trigger, both data md5s, and a failed gate if it failed."""
    scope = trigger if model is None else f"{model}, {trigger}"
    title = f"Retrain ({scope}): data {out.old_md5[:8]} -> {out.new_md5[:8]}"
    return title if out.gate_passed else title + " [gate failed]"


def report_body(root: Path, outcome: Outcome) -> str:
    """The PR body: `model report`'s markdown when it wrote one, else a short summary."""
    for name in ("report.md", "README.md"):
        path = root / REPORT_DIR / name
        if path.is_file():
            return path.read_text()
    gate = "passed" if outcome.gate_passed else "failed"
    return f"Data {outcome.old_md5} -> {outcome.new_md5}; the gate {gate}."


def retrain(
    root: Path,
    *,
    snapshot: str | None,
    trigger: str,
    base: str = "main",
    push: bool = True,
    say: Callable[[str], None] = print,
    open_pr: OpenPR | None = None,
    project: Project = Project(),
) -> Outcome:
    """Run the steps in the module docstring; see Outcome for what happened."""
    root = root.resolve()  # before the chdir: `root` may be relative (the CLI's default ".")
    # DVC resolves targets against the working directory: the project's folder
    with contextlib.chdir(root / project.folder):
        out = _retrain(root, snapshot, trigger, base, push, say, project)
    if out.pushed and open_pr is not None:
        say("6/6 open the pull request")
        open_pr(out.branch, base, out.pr_title, out.pr_body)
        out.pr_opened = True
    return out


def _retrain(
    root: Path,
    snapshot: str | None,
    trigger: str,
    base: str,
    push: bool,
    say: Callable[[str], None],
    project: Project,
) -> Outcome:
    from model.pipeline.datapull import pull, update

    work, fleet = root / project.folder, project.name is not None
    preflight(root, project)
    ensure_base(root, base)
    say(f"1/6 {'model fleet pull ' + project.folder if fleet else 'model data pull'}")
    old = project.pull(root) if project.pull is not None else pull(root).md5
    if snapshot:
        install_snapshot(root, snapshot, project)
    new = data_md5(work)
    if new == old:
        return Outcome("unchanged", old, new, folder=project.folder)
    # re-pin data.dvc and stage it: the pipeline refuses any other re-pin
    if fleet:
        repin(root, project)
    else:
        update(root)
    say(f"    data/ re-pinned: {old} -> {new}\n2/6 dvc repro ({project.folder})")
    sh(dvc("repro"), work, "dvc repro")
    say(f"3/6 model report --base {base}" + (f" --model {project.name}" if fleet else ""))
    passed = run_report(root, base, project)
    branch = branch_name(trigger, model=project.name)
    out = Outcome("proposed", old, new, project.folder, branch=branch, gate_passed=passed)
    say(f"4/6 commit on {out.branch}")
    commit(root, out.branch, trigger, old, new, passed, project)
    out.pr_title, out.pr_body = pr_title(out, trigger, project.name), report_body(root, out)
    if push:
        say("5/6 dvc push; git push")
        sh(dvc("push"), work, "dvc push")
        sh(["git", "push", "-q", "-u", "origin", out.branch], root, "git push")
        out.pushed = True
    return out
