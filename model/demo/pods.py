"""Local preview of an environment's Deployment: a Docker container, else a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.demo.preview import PodSpec, docker_args, pod_spec, render
from model.proc import run, wait_http

CONTAINER = "credit-scoring-preview"


@dataclass
class Preview:
    """At most one previewed pod at a time, on the manifest's own port on 127.0.0.1."""

    docker: str | None
    model_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    running: PodSpec | None = None

    @property
    def kind(self) -> str:
        """How the pod runs, said plainly in the demo's output."""
        return "Docker container" if self.docker else "local process (no Docker engine)"

    def start(self, overlay: Path) -> tuple[PodSpec, float]:
        """Render OVERLAY, run its pod spec, wait for its readiness probe; return spec and wait."""
        self.stop()
        spec = pod_spec(render(overlay))
        if self.docker:
            cmd = [self.docker, "run", "-d", "--rm", "--name", CONTAINER]
            cmd += docker_args(spec.pod, spec.container)
            run(cmd)
            alive = self._container_alive
        else:
            env = {**os.environ, **spec.env, "MODEL_DIR": str(self.model_dir)}
            cmd = [sys.executable, "-m", "model.serving", "--model-dir", str(self.model_dir),
                   "--host", "127.0.0.1", "--port", str(spec.port)]  # fmt: skip
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            alive = lambda: self.proc is not None and self.proc.poll() is None  # noqa: E731
        self.running = spec
        waited = wait_http(f"http://127.0.0.1:{spec.port}{spec.ready_path}", 60, alive=alive)
        return spec, waited

    def _container_alive(self) -> bool:
        assert self.docker
        out = run([self.docker, "inspect", "-f", "{{.State.Running}}", CONTAINER], check=False)
        return out.stdout.strip() == "true"

    def running_image(self) -> str | None:
        """The image ID the preview container actually runs (None for a process)."""
        if not self.docker:
            return None
        return run([self.docker, "inspect", "-f", "{{.Image}}", CONTAINER]).stdout.strip()

    def score(self, instances: list[dict[str, Any]]) -> list[float]:
        """POST rows to /v1/predict of the running pod; return the probabilities."""
        assert self.running
        body = json.dumps({"instances": instances}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.running.port}/v1/predict", data=body,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as resp:
            return [p["probability"] for p in json.load(resp)["predictions"]]

    def stop(self) -> None:
        """Stop whatever preview runs; leave nothing behind."""
        if self.docker:
            run([self.docker, "rm", "-f", CONTAINER], check=False)
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
        self.running = None
