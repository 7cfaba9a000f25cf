"""Play the ten steps in order; stop at the first failure with its command and output."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from model.config import set_param
from model.demo.fleet_story import fleet_loop
from model.demo.pods import Preview
from model.demo.retrain_loop import TRAINER_IMAGE, hold_back, retrain_loop
from model.demo.runner import Runner, StepFailed
from model.demo.story import PR1_BRANCH, PR2_BRANCH, Scratch, Story


def worse_model(ws: Path) -> None:
    set_param("train.n_estimators", 5, ws / "params.yaml")


def docs_only(ws: Path) -> None:
    with (ws / "README.md").open("a") as fh:
        fh.write("\nReviewed by the demo: a documentation-only change.\n")


def chapters(story: Story, source: Path, trainer: str = TRAINER_IMAGE) -> list[tuple[str, Any]]:
    """(title, action) for each step, in the order the issue tells the story."""

    def pr1() -> None:
        if story.pull_request(PR1_BRANCH, "Use 5 boosting iterations", worse_model):
            raise RuntimeError("PR 1 should fail its gate, but it passed")
        story.run.say(
            "gate failed as it should; not merged; "
            f"report {story.facts['prs'][PR1_BRANCH]['report']}"
        )

    def pr2() -> None:
        if not story.pull_request(PR2_BRANCH, "Document the review flow", docs_only):
            raise RuntimeError("PR 2 should pass its gate, but it failed")
        story.merge(PR2_BRANCH, f"Merge pull request #2 from {PR2_BRANCH}")
        digest = story.release(source_pr="2")
        story.facts["digests"].append(digest)
        running = story.show_preview("staging")
        story.run.say(
            f"gate passed, merged, released {digest[:19]}…; "
            f"staging preview now runs {running[:19]}…"
        )

    def prod() -> None:
        story.promote_prod(story.facts["digests"][-1])
        running = story.show_preview("prod")
        story.run.say(f"promotion branch merged; prod preview runs {running[:19]}…")

    def rollback() -> None:
        story.model("rollback", "prod", "--push")
        story.git("pull", "-q", "--rebase", "origin", "main")
        running = story.show_preview("prod")
        story.facts["rollback_running"] = running
        story.run.say(f"prod runs the previous digest again: {running[:19]}…")

    def audit() -> None:
        for env in ("staging", "prod"):
            story.facts[f"audit_{env}"] = json.loads(
                story.model("audit", "--env", env, "--format", "json")
            )
            story.run.console.print(story.model("audit", "--env", env))
        verify = story.run.sh(
            sys.executable, "-m", "model", "audit", "verify", cwd=story.ws, ok=(0, 1)
        )
        story.run.console.print(verify.stdout)
        story.facts["verify_exit"] = verify.returncode
        if verify.returncode:
            raise RuntimeError("model audit verify found a broken link")
        story.run.say("audit printed for staging and prod; `model audit verify`: all links green")

    return [
        ("set up origin, DVC remote, MLflow; pull data", lambda: setup(story, source)),
        ("main: pipeline, release, promote", story.main_release),
        (
            "local preview of the staging Deployment (no cluster)",
            lambda: story.show_preview("staging"),
        ),
        ("PR 1: 5 boosting iterations", pr1),
        ("PR 2: docs-only change → merge → release", pr2),
        ("promote to prod via a promotion branch", prod),
        ("roll prod back", rollback),
        ("audit both environments and verify", audit),
        (
            "retrain loop: new labels in the bucket → PR; drift without labels → attention",
            lambda: retrain_loop(story, story.preview.docker, trainer),
        ),
        (
            "fleet: PR improves churn → fleet comment → release → prod → audit; PR adds a model",
            lambda: fleet_loop(story),
        ),
    ]


def setup(story: Story, source: Path) -> None:
    """Step 1, then hold back next month's outcomes on main (step 9 releases them)."""
    story.setup(source)
    hold_back(story)


def play(
    source: Path,
    root: Path,
    console: Console,
    env: dict[str, str],
    trainer: str | None = None,
) -> int:
    """Run the demo in `root` (wiped first); return 0, or 1 after printing the failing step.

    Step 9 runs in the `trainer` image (default: `make image-trainer`'s) when the engine
    holds it built from this very package.
    """
    from model.gitops.images import docker

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    run = Runner(console, env)
    scratch = Scratch(root)
    story = Story(run, scratch, Preview(docker(), scratch.ws / "models"))
    code = 0
    try:
        steps = chapters(story, source, trainer or TRAINER_IMAGE)
        for number, (title, action) in enumerate(steps, start=1):
            with run.step(number, title):
                action()
    except StepFailed as err:
        console.print(f"[bold red]✘ failed:[/] {err}")
        console.print(f"[dim]re-run it alone in {err.cwd}:[/]\n  {' '.join(err.cmd)}")
        console.print(err.output[-6000:])
        code = 1
    except Exception as err:
        console.print(f"[bold red]✘ failed:[/] {err}")
        code = 1
    finally:
        story.preview.stop()
        run.sh(sys.executable, "-m", "model", "tracking", "down", cwd=root, ok=(0, 1))
        if story.gnupg is not None:
            from model.demo.keys import discard

            discard(story.gnupg)  # the signing gpg-agent must not outlive the demo
        story.facts["steps"] = [{"step": r.step, "seconds": round(r.seconds, 2)} for r in run.rows]
        (root / "demo-summary.json").write_text(json.dumps(story.facts, indent=2) + "\n")
    console.print(run.table())
    for branch, pr in story.facts.get("prs", {}).items():
        console.print(f"report for {branch}: {pr['report']}")
    return code
