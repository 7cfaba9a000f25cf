"""Run a GitHub workflow with nektos/act in self-hosted mode against a scratch repository.

Every third-party action is mapped to a stand-in folder under tests/act/standins (see the
README there for which GitHub behaviour each replaces), so a run needs no network. Steps
get GitHub's non-interactive stdin (act gives them a pseudo-terminal, where dvc once waited
13 minutes on a [y/n] prompt), a fresh HOME and a clean PATH, and the run has a timeout that
kills what it started and fails with the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.tools import find

HERE = Path(__file__).resolve().parent
STANDINS = HERE / "standins"
ACT = Path(find("act") or Path(sys.executable).parent / "act")  # resolved as the Makefile does
# Sourced by every non-interactive bash (all `run:` steps and make's recipes): GitHub's
# steps read stdin from nowhere; act's pseudo-terminal would let tools prompt and hang.
NONINTERACTIVE = HERE / "noninteractive.sh"
# act derives github.repository from this remote's URL; it is never fetched.
REPO_SLUG = "acme/credit-scoring"
SLUG_REMOTE = "github"
PLATFORM = "ubuntu-24.04=-self-hosted"
RUN_MARKER = "ACT_HARNESS_RUN"
# The runner's PATH: system tools only; setup-uv and `make env` add the project's own.
RUNNER_PATH = "/usr/local/bin:/usr/bin:/bin"
# Stand-ins that run on node (a post step needs a JavaScript action), like GitHub's runner.
NODE_STANDINS = frozenset({"cache"})
# The machine's own TLS trust and proxy settings (a runner's image has them too); no secrets.
PASS_THROUGH = (
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO",
    "NODE_EXTRA_CA_CERTS", "PIP_CERT", "http_proxy", "https_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
)  # fmt: skip
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Stand-in folder for each action (owner/repo); the pinned ref comes from the workflow.
ACTION_STANDINS = {
    "actions/checkout": "checkout",
    "astral-sh/setup-uv": "setup-uv",
    "actions/cache": "cache",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "docker/metadata-action": "docker-metadata",
    "docker/setup-buildx-action": "docker-setup-buildx",
    "docker/login-action": "docker-login",
    "docker/build-push-action": "docker-build-push",
    "anchore/sbom-action": "sbom",
    "sigstore/cosign-installer": "cosign-installer",
    "actions/attest-build-provenance": "attest",
}
StepResults = dict[str, dict[str, str]]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_USES = re.compile(r"^([\w.-]+/[\w.-]+)(/[\w./-]+)?@([\w.-]+)$")


class ActHarnessError(AssertionError):
    """The run could not be set up or did not finish (unmapped action, bad input, timeout)."""


@dataclass(frozen=True)
class ActResult:
    """What one act run did: exit code, readable log, job and step conclusions."""

    returncode: int
    log: str
    jobs: dict[str, str]
    # job id -> step id (its `id:`, else its index) -> "success" | "failure"; main stage only.
    steps: dict[str, dict[str, str]]
    post: dict[str, dict[str, str]]
    output: dict[tuple[str, str], str] = field(repr=False)
    artifacts: Path

    def step(self, job: str, step_id: str) -> str:
        """A step's conclusion; "skipped" when act never started it (its `if:` was false)."""
        return self.steps.get(job, {}).get(step_id, "skipped")

    def step_log(self, job: str, step_id: str) -> str:
        """Everything the step printed."""
        return self.output.get((job, step_id), "")

    def tail(self, chars: int = 6000) -> str:
        """The end of the log, for assertion messages."""
        return self.log[-chars:]


@dataclass(frozen=True)
class Store:
    """State shared by the runs of one test world: artifact and cache folder stores.

    `artifacts_dir` gives one run its own artifact folder while it shares the cache (an
    artifact name can be uploaded once per run, as on GitHub).
    """

    root: Path
    artifacts_dir: Path | None = None

    @property
    def artifacts(self) -> Path:
        return self.artifacts_dir or self.root / "artifacts"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def registry(self) -> Path:
        """Where the docker/cosign/attest stand-ins record logins, pushes and signatures."""
        return self.root / "registry"


def uses_of(workflow: Path) -> set[str]:
    """Every `uses:` of a workflow's steps (remote actions only)."""
    doc = yaml.safe_load(workflow.read_text())
    return {
        str(step["uses"])
        for job in doc.get("jobs", {}).values()
        for step in job.get("steps", [])
        if "uses" in step and not str(step["uses"]).startswith(("./", "docker://"))
    }


def local_repository_args(workflow: Path) -> list[str]:
    """`--local-repository OWNER/REPO@REF=DIR` for each action the workflow uses."""
    args, missing = [], []
    for uses in sorted(uses_of(workflow)):
        match = _USES.match(uses)
        folder = ACTION_STANDINS.get(match.group(1)) if match else None
        if not match or folder is None or not (STANDINS / folder / "action.yml").is_file():
            missing.append(uses)
            continue
        args += ["--local-repository", f"{match.group(1)}@{match.group(3)}={STANDINS / folder}"]
    if missing:
        raise ActHarnessError(
            f"{workflow.name} uses actions with no stand-in: {missing}. Expected a folder "
            f"under {STANDINS} listed in ACTION_STANDINS (see tests/act/README.md); add one."
        )
    return args


def _require_node(workflow: Path) -> None:
    """Fail before act starts when a node stand-in is used and the runner PATH has no node."""
    folders = {ACTION_STANDINS.get(u.split("@")[0], "") for u in uses_of(workflow)}
    if folders & NODE_STANDINS and shutil.which("node", path=RUNNER_PATH) is None:
        raise ActHarnessError(
            f"{workflow.name} uses a node stand-in ({sorted(folders & NODE_STANDINS)}); expected "
            f"`node` (>= 20) on {RUNNER_PATH}, found none. Install Node (GitHub's runners have it)."
        )


def _secret_args(secrets: dict[str, str], run_dir: Path) -> list[str]:
    """One-line secrets as flags; multi-line ones (an armored signing key) through a dotenv file.

    GitHub secrets may span lines; act reads those only from `--secret-file`, whose
    double-quoted values turn `\\n` back into newlines.
    """
    flat = {k: v for k, v in secrets.items() if "\n" not in v and "\r" not in v}
    multi = {k: v for k, v in secrets.items() if k not in flat}
    if not multi:
        return _pairs("--secret", flat)
    lines = []
    for name, value in multi.items():
        if not _NAME.match(name) or "\r" in value or '"' in value or "\\" in value:
            raise ActHarnessError(
                f"--secret {name!r}: a multi-line secret needs a NAME of letters, digits and _ "
                "and a value without CR, double quotes or backslashes"
            )
        lines.append(f'{name}="{value.replace(chr(10), chr(92) + "n")}"')
    secret_file = run_dir / "secrets.env"
    secret_file.write_text("\n".join(lines) + "\n")
    secret_file.chmod(0o600)
    return [*_pairs("--secret", flat), "--secret-file", str(secret_file)]


def _pairs(flag: str, values: dict[str, str]) -> list[str]:
    out = []
    for name, value in values.items():
        if not _NAME.match(name) or "\n" in value or "\r" in value:
            raise ActHarnessError(
                f"{flag} {name!r}: expected a NAME of letters, digits and _ and a one-line "
                "value; use a file in the workspace for multi-line values"
            )
        out += [flag, f"{name}={value}"]
    return out


def seeded_uv() -> Path:
    """The uv binary that the setup-uv stand-in serves (the runner's seeded tool cache)."""
    found = find("uv")
    if found is None:
        raise ActHarnessError("expected a uv binary on PATH or in ~/.local/bin for setup-uv")
    return Path(found).resolve()


def _uv_dirs() -> dict[str, str]:
    """Reuse the machine's uv caches so `make env` in a run links wheels instead of fetching."""
    uv = str(seeded_uv())
    out = {}
    for name, cmd in (("UV_CACHE_DIR", [uv, "cache", "dir"]),
                      ("UV_PYTHON_INSTALL_DIR", [uv, "python", "dir"])):  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            out[name] = proc.stdout.strip()
    return out


def prepare_repo(repo: Path) -> None:
    """Give a scratch clone the remote act reads github.repository from (never fetched)."""
    remotes = subprocess.run(["git", "remote"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout.split()  # fmt: skip
    if SLUG_REMOTE not in remotes:
        url = f"https://github.com/{REPO_SLUG}.git"
        subprocess.run(["git", "remote", "add", SLUG_REMOTE, url], cwd=repo, check=True)


def _head(repo: Path, rev: str = "HEAD") -> str:
    return subprocess.run(["git", "rev-parse", rev], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def push_event(repo: Path, branch: str = "main") -> dict[str, Any]:
    """A `push` payload for the repo's HEAD on `branch`."""
    return {
        "ref": f"refs/heads/{branch}", "after": _head(repo), "before": "0" * 40,
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip


def pull_request_event(repo: Path, number: int, head_ref: str, base_ref: str = "main",
                       action: str = "synchronize") -> dict[str, Any]:  # fmt: skip
    """A `pull_request` payload: the repo's HEAD (on `head_ref`) proposed into `base_ref`."""
    return {
        "action": action, "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": head_ref, "sha": _head(repo), "repo": {"full_name": REPO_SLUG}},
            "base": {"ref": base_ref, "sha": _head(repo, f"origin/{base_ref}"),
                     "repo": {"full_name": REPO_SLUG}},
        },
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip


def _own_processes(marker: str) -> list[int]:
    """Pids whose environment carries this run's marker: the steps act started."""
    needle = f"{RUN_MARKER}={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _kill_run(proc: subprocess.Popen[bytes], marker: str) -> None:
    # Steps run in their own sessions (act's pty), so killing act's group is not enough.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in [proc.pid, *_own_processes(marker)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        time.sleep(1)
    proc.wait()


Parsed = tuple[str, dict[str, str], StepResults, StepResults, dict[tuple[str, str], str]]


def parse(lines: list[str]) -> Parsed:
    """act's --json log -> readable log, job results, main and post step results, outputs."""
    log, jobs = [], {}
    steps: dict[str, dict[str, str]] = {}
    post: dict[str, dict[str, str]] = {}
    output: dict[tuple[str, str], str] = {}
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            log.append(line.rstrip("\n"))
            continue
        job, msg = rec.get("jobID", ""), _ANSI.sub("", str(rec.get("msg", "")))
        ids = rec.get("stepID") or []
        log.append(f"[{job}] {msg.rstrip()}" if job else msg.rstrip())
        if "jobResult" in rec:
            jobs[job] = rec["jobResult"]
        if not ids:
            continue
        if rec.get("raw_output"):
            key = (job, ids[0])
            output[key] = output.get(key, "") + msg
        elif "stepResult" in rec and len(ids) == 1:
            target = post if rec.get("stage") == "Post" else steps
            if rec.get("stage") in ("Main", "Post"):
                target.setdefault(job, {})[ids[0]] = rec["stepResult"]
    return "\n".join(log), jobs, steps, post, output


def run_workflow(
    repo: Path,
    workflow: str,
    event: str,
    payload: dict[str, Any],
    *,
    origin: Path,
    store: Store,
    env: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    vars: dict[str, str] | None = None,
    job: str | None = None,
    timeout: float = 900,
) -> ActResult:
    """Run `.github/workflows/<workflow>` of `repo` (checked out at the commit under test)."""
    wf = repo / ".github" / "workflows" / workflow
    if not wf.is_file():
        raise ActHarnessError(f"expected workflow {wf}; found none")
    _require_node(wf)
    prepare_repo(repo)
    run_dir = store.root / "runs" / uuid.uuid4().hex[:12]
    home = run_dir / "home"
    for path in (home, store.artifacts, store.cache):
        path.mkdir(parents=True, exist_ok=True)
    event_file = run_dir / "event.json"
    event_file.write_text(json.dumps(payload))
    marker = run_dir.name
    harness_env = {
        "ACT_STANDIN_ORIGIN": str(origin), "ACT_STANDIN_UV": str(seeded_uv()),
        "ACT_STANDIN_ARTIFACTS": str(store.artifacts), "ACT_STANDIN_CACHE": str(store.cache),
        "ACT_STANDIN_REGISTRY": str(store.registry),
        "BASH_ENV": str(NONINTERACTIVE), RUN_MARKER: marker,
    }  # fmt: skip
    cmd = [
        str(ACT), event, "-W", str(wf), "-C", str(repo), "-e", str(event_file),
        "-P", PLATFORM, "--json", "--no-cache-server", "--no-skip-checkout",
        "--action-offline-mode", "--action-cache-path", str(run_dir / "act"),
        "--remote-name", SLUG_REMOTE, "--defaultbranch", "main", "--concurrent-jobs", "1",
        *local_repository_args(wf),
        *_pairs("--env", {**harness_env, **(env or {})}),
        *_secret_args(secrets or {}, run_dir), *_pairs("--var", vars or {}),
        *(["-j", job] if job else []),
    ]  # fmt: skip
    # The process env is the runner's: steps inherit it (self-hosted), so keep it minimal.
    proc_env = {
        "PATH": RUNNER_PATH, "HOME": str(home), "LANG": "C.UTF-8",
        "BASH_ENV": str(NONINTERACTIVE), RUN_MARKER: marker, **_uv_dirs(),
        **{name: os.environ[name] for name in PASS_THROUGH if name in os.environ},
    }  # fmt: skip
    log_file = run_dir / "act.jsonl"
    with log_file.open("wb") as sink:
        proc = subprocess.Popen(
            cmd, cwd=run_dir, env=proc_env, stdin=subprocess.DEVNULL, stdout=sink,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_run(proc, marker)
            text = parse(log_file.read_text(errors="replace").splitlines())[0]
            raise ActHarnessError(
                f"act {event} {workflow} did not finish within {timeout:.0f}s (a step may be "
                f"waiting on input or a server); killed it. Log tail:\n{text[-6000:]}"
            ) from None
    text, jobs, steps, post, output = parse(log_file.read_text(errors="replace").splitlines())
    return ActResult(returncode, text, jobs, steps, post, output, store.artifacts)
