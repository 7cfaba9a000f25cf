"""The demo's eight steps, each running the same commands the GitHub workflows run."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.demo.pods import Preview
from model.demo.runner import Runner

PR1_BRANCH = "pr-1-fewer-trees"
PR2_BRANCH = "pr-2-docs"


@dataclass
class Scratch:
    """The demo's scratch workspace: a bare origin, a clone, a DVC remote, MLflow state."""

    root: Path

    @property
    def origin(self) -> Path:
        return self.root / "origin.git"

    @property
    def ws(self) -> Path:
        return self.root / "ws"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


@dataclass
class Story:
    """State carried from step to step; `facts` is written to demo-summary.json."""

    run: Runner
    scratch: Scratch
    preview: Preview
    facts: dict[str, Any] = field(default_factory=dict)
    gnupg: Path | None = None  # the demo's CI keyring; play() stops its agent and deletes it

    @property
    def ws(self) -> Path:
        return self.scratch.ws

    def git(self, *args: str) -> str:
        return self.run.sh("git", *args, cwd=self.ws).stdout.strip()

    def make(self, *args: str, ok: tuple[int, ...] = (0,)) -> int:
        return self.run.sh("make", "--no-print-directory", *args, cwd=self.ws, ok=ok).returncode

    def model(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        return self.run.sh(sys.executable, "-m", "model", *args, cwd=self.ws, ok=ok).stdout

    # -- 1 ---------------------------------------------------------------------------------
    def setup(self, source: Path) -> None:
        s = self.scratch
        self.run.sh("git", "clone", "-q", "--bare", str(source), str(s.origin), cwd=s.root)
        self.run.sh("git", "clone", "-q", str(s.origin), str(s.ws), cwd=s.root)
        self.git("config", "user.name", "Demo Maintainer")
        self.git("config", "user.email", "maintainer@demo.invalid")
        self.run.sh(
            "dvc",
            "remote",
            "modify",
            "--local",
            "local",
            "url",
            str(s.root / "dvc-remote"),
            cwd=s.ws,
        )
        self.release_key()
        uri = self.model("tracking", "up").strip()
        self.run.env["MLFLOW_TRACKING_URI"] = uri
        pulled = self.model("data", "pull").replace("\n", " ")
        self.facts["mlflow"] = uri
        self.run.say(
            f"bare origin, DVC remote, MLflow at {uri}; {pulled.split('(')[-1].rstrip(') ')}"
        )

    def release_key(self) -> None:
        """A throwaway release key: its public half committed as both environments' promoter
        key, its secret half handed to `make git-signing-key` as CI hands over the secret."""
        from model.demo import keys

        keysmith = keys.gnupg_home()
        try:
            fpr = keys.throwaway_key(keysmith, "Demo Release <release@demo.invalid>")
            public, secret = keys.public_key(keysmith, fpr), keys.secret_key(keysmith, fpr)
        finally:
            keys.discard(keysmith)
        self.gnupg = keys.gnupg_home()
        self.run.env["GNUPGHOME"] = str(self.gnupg)
        promoters = self.ws / ".gitops" / "promoters"
        promoters.mkdir(parents=True, exist_ok=True)
        for env in ("staging", "prod"):
            (promoters / f"{env}.asc").write_text(public)
        self.run.env["PROMOTION_GPG_KEY"] = secret  # only for this one step, as in CI
        try:
            self.make("git-signing-key")
        finally:
            del self.run.env["PROMOTION_GPG_KEY"]
        self.git("add", ".gitops/promoters")
        self.git("commit", "-q", "-m", "promoters: the demo's throwaway release key")
        self.git("push", "-q", "origin", "main")
        self.facts["release_key"] = fpr

    # -- 2 ---------------------------------------------------------------------------------
    def main_release(self) -> None:
        self.make("pipeline")
        self.run.sh("dvc", "push", cwd=self.ws)
        if self.git("status", "--porcelain", "--untracked-files=no"):
            self.git("commit", "-qam", "Reproduce the pipeline on main")
            self.git("push", "-q", "origin", "main")
        digest = self.release()
        self.facts["digests"] = [digest]
        # The first prod deploy also goes through a reviewed promotion branch.
        self.promote_prod(digest)
        self.run.console.print(self.model("summary"))
        metrics = json.loads((self.ws / "reports/metrics.json").read_text())
        self.run.say(f"roc_auc {metrics['roc_auc']:.4f}; image {digest[:19]}… → staging and prod")

    def release(self, source_pr: str = "none") -> str:
        """What release.yaml does on a merge: build, register, promote staging (pushed)."""
        self.make("release-model")  # the model dvc.lock pins: pulled, else rebuilt and md5-checked
        self.make("release-facts")
        digest = self.build_image()  # stands in for docker/build-push-action
        out = self.run.sh(
            "make", "--no-print-directory", "release-image-ref", "IMAGE_NAME=credit-scoring",
            f"DIGEST={digest}", cwd=self.ws,
        ).stdout  # fmt: skip
        ref = out.strip().removeprefix("image=")
        self.model("register", "--image", ref)
        self.model("promote", "staging", "--image", ref, "--push", "--source-pr", source_pr)
        self.git("pull", "-q", "--rebase", "origin", "main")
        return digest

    def build_image(self) -> str:
        if self.preview.docker:
            self.make("image")
            out = self.run.sh(
                self.preview.docker,
                "image",
                "inspect",
                "-f",
                "{{.Id}}",
                "credit-scoring:local",
                cwd=self.ws,
            )
            return out.stdout.strip()
        # No engine: a stand-in digest over what the image would carry (said in the output).
        model_sha = json.loads((self.ws / "models/model.json").read_text())["sha256"]
        return (
            "sha256:"
            + hashlib.sha256(f"{self.git('rev-parse', 'HEAD')}:{model_sha}".encode()).hexdigest()
        )

    def promote_prod(self, digest: str) -> None:
        out = self.model("promote", "prod", "--image", f"credit-scoring@{digest}", "--push")
        branch = re.search(r"promote/prod-[\w-]+", out)
        if branch is None:
            raise RuntimeError(f"prod promotion printed no promotion branch:\n{out}")
        self.merge(branch.group(0), f"Merge promotion {branch.group(0)}")
        self.model("register", "--sync-aliases")

    def merge(self, branch: str, message: str) -> None:
        """Merge a reviewed branch into main on origin, as the PR's merge button would."""
        self.git("checkout", "-q", "main")
        self.git("fetch", "-q", "origin")
        self.git("merge", "-q", "--no-ff", "-m", message, f"origin/{branch}")
        self.git("push", "-q", "origin", "main")

    # -- 3 / 5 / 7 ------------------------------------------------------------------------
    def show_preview(self, env: str) -> str:
        spec, waited = self.preview.start(self.ws / "k8s/overlays" / env)
        rows = self.sample_rows(3)
        scores = self.preview.score(rows)
        running = self.preview.running_image() or spec.digest
        self.facts.setdefault("previews", []).append(
            {"env": env, "digest": spec.digest, "running": running}
        )
        self.run.say(
            f"{self.preview.kind} ready in {waited:.1f}s; runs {running[:19]}…; "
            f"scored {len(scores)} rows over HTTP: " + ", ".join(f"{p:.3f}" for p in scores)
        )
        return running

    def sample_rows(self, n: int) -> list[dict[str, Any]]:
        import pandas as pd

        from model.core.schema import CREDIT_CONTRACT

        frame = pd.read_csv(self.ws / "artifacts/test.csv").head(n)[CREDIT_CONTRACT.feature_names]
        return [
            {k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]

    # -- 4 / 5 ------------------------------------------------------------------------------
    def pull_request(self, branch: str, change: str, edit: Any) -> bool:
        """A contributor's PR, then CI's pr.yaml steps; returns whether the gate passed."""
        self.git("checkout", "-q", "-b", branch, "origin/main")
        edit(self.ws)
        self.run.sh("dvc", "repro", cwd=self.ws)
        self.run.sh("dvc", "push", cwd=self.ws)
        self.git("add", "-A")
        self.git("commit", "-qm", change)
        self.git("push", "-q", "origin", branch)
        out_dir = self.scratch.root / "ci" / branch
        shutil.rmtree(out_dir, ignore_errors=True)
        self.make("report-data")  # pr.yaml's steps, in its order
        self.make("pipeline")
        self.make("verify-lock", f"REPORT_DIR={out_dir}")
        # make turns every failing recipe into exit 2; report.json says whether the gate passed.
        self.make("report", f"REPORT_DIR={out_dir}", ok=(0, 2))
        result = json.loads((out_dir / "report.json").read_text())
        self.scratch.reports.mkdir(exist_ok=True)
        saved = self.scratch.reports / f"{branch}.md"
        shutil.copy(out_dir / "report.md", saved)
        passed = bool(result["passed"])
        self.facts.setdefault("prs", {})[branch] = {
            "passed": passed,
            "report": str(saved),
            "verdict": result["verdict"],
        }
        return passed
