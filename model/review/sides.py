"""Load one side of the comparison (a git revision or the workspace) through DVC's Python API.

Files are read through `dvc.fs.DVCFileSystem(rev=…)` (what `dvc.api.open(rev=…)` wraps), which
streams from the DVC remote when the local cache lacks them; diffs come from
`Repo.metrics.diff`, `Repo.params.diff` and `Repo.diff`. DVC's text output is never parsed.
"""

from __future__ import annotations

import io
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.review.revs import WORKSPACE

if TYPE_CHECKING:
    import pandas as pd
    from dvc.repo import Repo

    from model.core.schema import Contract

METRICS = "reports/metrics.json"
PREDICTIONS = "reports/predictions.csv"
IMPORTANCE = "reports/importance.json"
PLOTS = "reports/plots"
MODEL_FILES = ("models/model.onnx", "models/model.skops")


@dataclass(frozen=True)
class Subject:
    """Which model a report is about: its name, its folder (a DVC project) and its contract."""

    name: str | None = None  # None: the repository's single model, at the root
    folder: str = "."
    contract: Contract | None = None  # None: the credit contract in code


@dataclass
class Side:
    """What a report needs from one revision; `None` fields mean the revision lacks them."""

    rev: str
    label: str
    metrics: dict[str, Any] | None = None
    # Measured by the report itself (model/review/timing.py), never read from a revision.
    latency: dict[str, Any] | None = None
    predictions: pd.DataFrame | None = None
    importance: dict[str, Any] | None = None
    model_bytes: dict[str, int] = field(default_factory=dict)
    plots: dict[str, Any] = field(default_factory=dict)

    def for_plots(self, role: str) -> tuple[str, Side]:
        """(role, a copy holding only what plots need): small to send to the worker process."""
        return role, Side(rev=self.rev, label=self.label, plots=self.plots)

    @property
    def has_baseline(self) -> bool:
        """Both the metrics and the per-row predictions exist."""
        return self.metrics is not None and self.predictions is not None


def _rev_arg(rev: str) -> str | None:
    return None if rev == WORKSPACE else rev


class MissingData(RuntimeError):
    """A revision records a file that neither the DVC cache nor the remote holds."""


class Reader:
    """Reads files at one revision, git- or DVC-tracked, streaming from the remote if needed.

    `folder` is a model's folder relative to `root` (its own DVC project, e.g. fleet/churn);
    paths are then relative to it. Such a project is opened as a Repo on the folder and
    switched to the revision: DVCFileSystem(url=<folder>, rev=…) reads the *root* project
    instead, and with subrepos=True it resolves the folder's relative cache.dir against the
    git tree's root, so no cached output is ever found.
    """

    def __init__(self, root: Path, rev: str, folder: str = ".") -> None:
        from dvc.fs import DVCFileSystem

        self.root, self.rev = root, rev
        self.folder = "" if folder in ("", ".") else folder.strip("/")
        self.local = root / self.folder if self.folder else root
        self._stack = ExitStack()
        if not self.folder:
            self.fs: Any = DVCFileSystem(url=str(root), rev=_rev_arg(rev))
        else:
            self.fs = _project_fs(self.local, rev, self._stack)

    def has_folder(self) -> bool:
        """Whether the model's folder is a DVC project at this revision (False: a new model)."""
        return self.fs is not None

    def text(self, path: str) -> str | None:
        """The file's text; None when the revision does not have it at all."""
        data = self.raw(path)
        return data.decode() if data is not None else None

    def raw(self, path: str) -> bytes | None:
        """The file's bytes; None when the revision does not have it at all."""
        from dvc.exceptions import PathMissingError

        if self.rev == WORKSPACE and (self.local / path).is_file():
            return (self.local / path).read_bytes()
        if self.fs is None or not self.fs.isfile(path):
            return None
        try:
            # The same call dvc.api.open makes, on one filesystem per revision (a Repo per
            # file would cost ~50 ms each); it streams from the remote when the cache lacks it.
            with self.fs.open(path, mode="rb") as fh:
                return fh.read()
        except (PathMissingError, FileNotFoundError) as err:
            shown = f"{self.folder}/{path}" if self.folder else path
            raise MissingData(
                f"{shown} at {self.rev} is recorded in dvc.lock but is in neither the local DVC "
                f"cache nor the remote. Run `dvc push` from a checkout of {self.rev}, then retry."
            ) from err

    def json(self, path: str) -> Any:
        """Parsed JSON, or None when absent."""
        text = self.text(path)
        return json.loads(text) if text is not None else None

    def size(self, path: str) -> int | None:
        """Byte size from DVC's index (no download), or None when absent."""
        if self.fs is None:
            return None
        try:
            return int(self.fs.info(path)["size"])
        except FileNotFoundError:
            return None

    def rows(self, path: str) -> int | None:
        """Data rows of a CSV (lines minus the header), or None for other files."""
        if not path.endswith(".csv"):
            return None
        try:
            text = self.text(path)
        except MissingData:  # a row count is context, not evidence: show it as unknown
            return None
        return None if text is None else max(text.count("\n") - 1, 0)


def _project_fs(folder: Path, rev: str, stack: ExitStack) -> Any:
    """The DVC filesystem of the project at `folder` as of `rev`; None if `rev` lacks it.

    The repo stays switched to `rev` until `stack` closes (its owner, the Reader, keeps it).
    """
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        repo = stack.enter_context(Repo(str(folder)))
        if rev != WORKSPACE:
            stack.enter_context(repo.switch(rev))
    except NotDvcRepoError:
        return None
    return repo.dvcfs


def load(reader: Reader, label: str) -> Side:
    """Everything the report compares, for the reader's revision."""
    import pandas as pd

    side = Side(rev=reader.rev, label=label)
    side.metrics = reader.json(METRICS)
    side.importance = reader.json(IMPORTANCE)
    text = reader.text(PREDICTIONS)
    side.predictions = pd.read_csv(io.StringIO(text)) if text is not None else None
    for name in ("roc", "pr", "calibration", "confusion"):
        data = reader.json(f"{PLOTS}/{name}.json")
        if data is not None:
            side.plots[name] = data
    for path in MODEL_FILES:
        size = reader.size(path)
        if size is not None:
            side.model_bytes[Path(path).name] = size
    return side


def params_diff(repo: Repo, base: str, head: str) -> list[dict[str, Any]]:
    """Changed params as rows (file, name, old, new), via `Repo.params.diff`."""
    result = repo.params.diff(a_rev=base, b_rev=head)
    rows = []
    for file, changes in sorted(result.get("diff", {}).items()):
        for name, change in sorted(changes.items()):
            rows.append(
                {"file": file, "param": name, "old": change.get("old"), "new": change.get("new")}
            )
    return rows


def metrics_diff(repo: Repo, base: str, head: str) -> dict[str, dict[str, Any]]:
    """DVC's own view of the metric files' old/new values, via `Repo.metrics.diff`."""
    result = repo.metrics.diff(a_rev=base, b_rev=head, all=True)
    return result.get("diff", {}).get(METRICS, {})


def data_diff(repo: Repo, readers: tuple[Reader, Reader]) -> list[dict[str, Any]]:
    """DVC-tracked files added, modified or deleted between the sides, with CSV row counts."""
    base, head = readers
    result = repo.diff(a_rev=base.rev, b_rev=_rev_arg(head.rev))
    rows = []
    for change in ("added", "modified", "deleted"):
        for entry in result.get(change, []):
            path = entry["path"]
            if path.endswith("/"):
                continue
            rows.append({
                "change": change, "path": path,
                "rows_base": None if change == "added" else base.rows(path),
                "rows_head": None if change == "deleted" else head.rows(path),
            })  # fmt: skip
    return sorted(rows, key=lambda r: (r["path"], r["change"]))
