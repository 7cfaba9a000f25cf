"""The unit tier's guard at work: inside a unit test, every way to start a process raises.

The guard itself is tests/conftest.py (no_spawning); tests/integration/test_unit_tier_guard_runs.py
runs pytest on throwaway tests to show that a violating unit test fails the run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
from collections.abc import Callable

import pytest

from tests.conftest import SpawnInUnitTest

pytestmark = pytest.mark.unit


async def _asyncio_exec() -> None:
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()


def _spawned_process() -> None:
    proc = multiprocessing.get_context("spawn").Process(target=print)
    proc.start()
    proc.join()


SPAWNS: dict[str, Callable[[], object]] = {
    "subprocess.run": lambda: subprocess.run(["true"], check=False),
    "subprocess.check_output": lambda: subprocess.check_output(["true"]),
    "subprocess.Popen": lambda: subprocess.Popen(["true"]),
    "os.system": lambda: os.system("true"),
    "os.popen": lambda: os.popen("true").read(),
    "os.posix_spawn": lambda: os.posix_spawn("/bin/true", ["true"], os.environ),
    "os.spawnv": lambda: os.spawnv(os.P_WAIT, "/bin/true", ["true"]),
    "asyncio": lambda: asyncio.run(_asyncio_exec()),
    "multiprocessing spawn": lambda: _spawned_process(),
}


@pytest.mark.parametrize("spawn", SPAWNS.values(), ids=SPAWNS.keys())
def test_starting_a_process_from_a_unit_test_raises(spawn: Callable[[], object]) -> None:
    with pytest.raises(SpawnInUnitTest, match="unit means no subprocess"):
        spawn()
