import pandas as pd
import pytest

from model.pipeline.prepare import row_key, split

pytestmark = pytest.mark.unit


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"rownames": range(1, n + 1), "Status": ["bad" if i % 4 == 0 else "good" for i in range(n)]}
    )


def test_split_is_stratified_and_disjoint() -> None:
    train, test = split(frame(1000), test_size=0.2, seed=1)
    assert set(train.rownames).isdisjoint(test.rownames)
    assert len(train) + len(test) == 1000
    assert (test.Status == "bad").sum() == 50 and (test.Status == "good").sum() == 150


def test_split_ignores_row_order() -> None:
    df = frame(500)
    _, a = split(df, test_size=0.25, seed=3)
    _, b = split(df.sample(frac=1, random_state=9), test_size=0.25, seed=3)
    assert a.rownames.tolist() == b.rownames.tolist()


def test_appending_rows_keeps_most_test_rows() -> None:
    _, before = split(frame(1000), test_size=0.2, seed=5)
    _, after = split(frame(1100), test_size=0.2, seed=5)
    kept = len(set(before.rownames) & set(after.rownames)) / len(before)
    assert kept > 0.85


def test_seed_changes_the_split() -> None:
    assert row_key(7, 1) != row_key(7, 2)
    _, a = split(frame(400), test_size=0.2, seed=1)
    _, b = split(frame(400), test_size=0.2, seed=2)
    assert a.rownames.tolist() != b.rownames.tolist()


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5])
def test_rejects_bad_test_size(bad: float) -> None:
    with pytest.raises(ValueError, match="test_size"):
        split(frame(10), test_size=bad, seed=1)
