"""Serving benchmark, one run on one machine: this server vs `mlflow models serve` and MLServer.

Same trained model, same row (MLServer takes it as OIP tensors), 1 worker each, driven by
`wrk -t2 -c16 -d15s`. MLServer runs from its own venv: `make serving-bench` builds it and
runs everything; without `--mlserver-venv` it is left out and the report says so.
Also: 1,000-row requests vs in-process batch scoring, process start -> ready, container
cold start, peak RSS under load, sampling on vs off, and the image's size.

    uv run python benchmarks/serving.py [--model-dir models] [--duration 15]
    uv run python benchmarks/serving.py --only-anchors --mlserver-venv .state/mlserver
    uv run python benchmarks/serving.py --only-limits   # just the limits on/off comparison
    uv run python benchmarks/serving.py --only-floor --rounds 5   # server vs HTTP floor only
    uv run python benchmarks/serving.py --only-binary --rounds 5  # 1,000-row binary vs ONNX
    uv run python benchmarks/serving.py --only-repository --rounds 3 --duration 8  # 1,000 models

The limits comparison alternates the production server (connection guard, concurrency cap,
media-type and body-budget checks) with the same app on stock uvicorn and those checks
stubbed out, three rounds each, and reports the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from model import names
from model.core.schema import Contract
from model.tracking import without_telemetry

ROOT = Path(__file__).resolve().parents[1]

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "")
LUA = """wrk.method = "POST"
{headers}
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
{extra}
"""
JSON_TYPE = {"Content-Type": "application/json"}


def read_rows(model_dir: Path, test_csv: Path) -> list[dict[str, Any]]:
    """Complete test-split rows (no nulls: MLflow gets the very same JSON) as instances."""
    import csv

    contract = Contract.from_dict(json.loads((model_dir / "model.json").read_text())["contract"])
    convert = {"int": int, "float": float, "category": str}
    with test_csv.open(newline="") as fh:
        records = list(csv.DictReader(fh))
    return [
        {c.name: convert[c.kind](r[c.name]) for c in contract.features}
        for r in records
        if all(r[c.name] != "" for c in contract.features)
    ]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_200(url: str, timeout: float) -> float:
    """Poll `url` until 200; return the seconds it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(
    url: str,
    body: bytes,
    duration: int,
    threads: int = 2,
    conns: int = 16,
    headers: dict[str, str] | None = None,
    lua: str = "",
) -> dict[str, float]:
    """POST `body` with wrk; req/s, p50/p99 in ms, non-2xx count and the 1-minute load average.

    The one wrk wrapper of the serving benchmarks: `headers` default to JSON's Content-Type,
    `lua` is appended to the script (e.g. a `request` function rotating paths).
    """
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "body").write_bytes(body)
        lines = "\n".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
            for k, v in (JSON_TYPE if headers is None else headers).items()
        )
        script = LUA.format(headers=lines, body=Path(tmp) / "body", extra=lua)
        (Path(tmp) / "post.lua").write_text(script)
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{conns}",
            f"-d{duration}s",
            "--latency",
            "-s",
            f"{tmp}/post.lua",
            url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        # Anchored: the Thread Stats table also holds percentages such as "87.50%".
        "p50_ms": _ms(re.search(r"(?m)^\s+50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"(?m)^\s+99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "load": load_average(),
    }


def load_average() -> float:
    """The 1-minute load average (/proc/loadavg): other jobs on these cores skew every figure."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Proc:
    """A server process in its own session, so that stopping it stops its workers too."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def ready(self, url: str, timeout: float) -> float:
        """Seconds from spawn to the first 200 from `url`."""
        wait_200(url, timeout)
        return time.perf_counter() - self.started

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers."""
        with_group = os.getpgid(self.proc.pid)
        os.killpg(with_group, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            self.proc.wait()


def ours(model_dir: Path, env: dict[str, str] | None = None) -> tuple[Proc, str]:
    """Start this server (1 worker) on a free port."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "model.serving",
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
    ]
    return Proc(cmd, env), f"http://127.0.0.1:{port}"


def unbounded(model_dir: Path, http: str = "httptools") -> tuple[Proc, str]:
    """The same app without the limits: stock uvicorn protocol, no cap, checks stubbed."""
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-unbounded", str(model_dir),
           "--port", str(port), "--http", http]  # fmt: skip
    return Proc(cmd), f"http://127.0.0.1:{port}"


def serve_unbounded(model_dir: Path, port: int, http: str) -> None:
    """The app with its limits out of reach (the baseline of bench_limits): no media-type
    check, no body budget, no concurrency cap, header size and read deadlines beyond reach.

    With httptools it keeps the guarded protocol, because the direct path and batching live
    there: the stock protocol would measure those, not the limits. What the guard's own
    bookkeeping costs is measured apart, in process (guard_overhead).
    """
    import uvicorn

    from model.serving import app as app_module
    from model.serving import asgi
    from model.serving.guard import guarded
    from model.serving.limits import Limits
    from model.serving.request import Budget

    asgi.check_media = lambda head, binary_ok=False: None  # type: ignore[assignment]
    app = app_module.create_app(model_dir)
    app.budget = Budget(1 << 62)
    far = Limits(max_body=1 << 62, max_header=1 << 62, header_timeout=1e9, body_timeout=1e9,
                 max_connections=1 << 30, max_buffered=1 << 62)  # fmt: skip
    # h11 bounds headers itself; measured as the alternative to the httptools guard
    extra: dict[str, Any] = (
        {"http": http, "h11_max_incomplete_event_size": 16 << 10}
        if http == "h11"
        else {"http": guarded(far, lambda status: None, app)}
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        lifespan="on",
        access_log=False,
        server_header=False,
        log_level="warning",
        **extra,  # type: ignore[arg-type]
    )


def bench_limits(
    model_dir: Path, rows: list[dict[str, Any]], duration: int, rounds: int = 3, h11: bool = False
) -> dict[str, Any]:
    """Single-row req/s with and without the limits, alternated round by round."""
    body = json.dumps({"instances": rows[:1]}).encode()
    starters: dict[str, Any] = {"with": ours, "without": unbounded}
    if h11:
        starters["h11"] = lambda d: unbounded(d, "h11")
    runs: dict[str, list[float]] = {label: [] for label in starters}
    # The server's own CPU time per request: on a shared machine wall-clock req/s swings by
    # 2x between runs, CPU per request far less (the server is one single-threaded process).
    cpu: dict[str, list[float]] = {label: [] for label in starters}
    for _ in range(rounds):
        for label, start in starters.items():
            proc, url = start(model_dir)
            try:
                proc.ready(f"{url}/v2/health/ready", 30)
                before = cpu_seconds(proc.proc.pid)
                result = wrk(f"{url}/v1/predict", body, duration)
                used = cpu_seconds(proc.proc.pid) - before
                if result["non_2xx"]:
                    raise RuntimeError(f"{label}: {result['non_2xx']:.0f} non-2xx responses")
                runs[label].append(result["rps"])
                cpu[label].append(1e6 * used / result["requests"])
            finally:
                proc.stop()
    on, off = statistics.median(runs["with"]), statistics.median(runs["without"])
    cpu_on, cpu_off = statistics.median(cpu["with"]), statistics.median(cpu["without"])
    out = {"limits_on_rps": on, "limits_off_rps": off, "limits_cost_pct": 100 * (1 - on / off),
           "limits_on_cpu_us": cpu_on, "limits_off_cpu_us": cpu_off, "runs": runs, "cpu_us": cpu,
           "limits_cpu_cost_pct": 100 * (cpu_on / cpu_off - 1)}  # fmt: skip
    if h11:
        out["h11_rps"] = statistics.median(runs["h11"])
        out["h11_cpu_us"] = statistics.median(cpu["h11"])
    paired = [a / b - 1 for a, b in zip(cpu["with"], cpu["without"], strict=True)]
    out["limits_paired_cpu_cost_pct"] = 100 * statistics.median(paired)
    out["protocol"] = guard_overhead()
    out["guard_share_pct"] = 100 * out["protocol"]["guard_us"] / cpu_off
    return out


def guard_overhead(rounds: int = 15, n: int = 20_000) -> dict[str, float]:
    """µs per keep-alive request through uvicorn's protocol, stock vs guarded (in process).

    A fake transport and a constant ASGI app leave only the protocol's own work, so the
    guard's price shows without the wall-clock noise of a shared machine (min of rounds).
    """
    import asyncio

    import uvloop
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from model.serving.guard import guarded
    from model.serving.limits import Limits

    request = (b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 300\r\n\r\n" + b" " * 300)  # fmt: skip

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"{}"})

    class Transport(asyncio.Transport):
        writes = 0

        def write(self, data: Any) -> None:
            Transport.writes += 1

        def is_closing(self) -> bool:
            return False

        def close(self) -> None:  # uvicorn's keep-alive timer closes idle connections
            pass

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name)

        def pause_reading(self) -> None:
            pass

        def resume_reading(self) -> None:
            pass

    async def per_request(cls: Any) -> float:
        config = Config(app=app, limit_concurrency=64, access_log=False, log_level="warning")
        config.load()
        proto = cls(config=config, server_state=ServerState(), app_state={})
        proto.connection_made(Transport())
        Transport.writes = 0
        start = time.perf_counter()
        for _ in range(n):
            proto.data_received(request)
            await asyncio.sleep(0)  # the request's task runs: receive, start, body
            await asyncio.sleep(0)
        took = (time.perf_counter() - start) / n * 1e6
        if Transport.writes < 2 * n:
            raise RuntimeError(f"only {Transport.writes} writes for {n} requests")
        return took

    async def measure() -> dict[str, float]:
        stock, guard = [], []
        protocol = guarded(Limits(), lambda status: None)
        for _ in range(rounds):
            stock.append(await per_request(HttpToolsProtocol))
            guard.append(await per_request(protocol))
        return {"stock_us": min(stock), "guarded_us": min(guard),
                "guard_us": min(guard) - min(stock)}  # fmt: skip

    return uvloop.run(measure())


def mlflow_model(model_dir: Path, dest: Path) -> Path:
    """The same pipeline saved in MLflow format (skops, explicitly trusted types)."""
    import mlflow.sklearn

    from model.core.artifact import TRUSTED_TYPES, load_skops

    path = dest / "mlflow-model"
    mlflow.sklearn.save_model(
        load_skops(model_dir / "model.skops"),
        str(path),
        serialization_format="skops",
        skops_trusted_types=TRUSTED_TYPES,
    )
    return path


def bench_mlflow(model_dir: Path, row: dict[str, Any], duration: int) -> dict[str, float]:
    """Start `mlflow models serve --env-manager local -w 1`; time start->ready and wrk it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow_model(model_dir, Path(tmp))
        port = free_port()
        mlflow = str(Path(sys.executable).parent / "mlflow")
        proc = Proc(
            [
                mlflow,
                "models",
                "serve",
                "-m",
                str(path),
                "--env-manager",
                "local",
                "-w",
                "1",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            dict(without_telemetry({})),
        )
        try:
            start = proc.ready(f"http://127.0.0.1:{port}/ping", 180)
            url = f"http://127.0.0.1:{port}/invocations"
            body = json.dumps({"dataframe_records": [row]}).encode()
            assert (
                httpx.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                ).status_code
                == 200
            )
            return {"start_s": start, **wrk(url, body, duration)}
        finally:
            proc.stop()


def bench_ours(model_dir: Path, rows: list[dict[str, Any]], duration: int) -> dict[str, float]:
    """Start->ready (median of 3), single-row and 1,000-row load, peak RSS."""
    starts = []
    for _ in range(3):
        proc, url = ours(model_dir)
        starts.append(proc.ready(f"{url}/v2/health/ready", 30))
        proc.stop()
    proc, url = ours(model_dir)
    try:
        proc.ready(f"{url}/v2/health/ready", 30)
        single = wrk(f"{url}/v1/predict", json.dumps({"instances": rows[:1]}).encode(), duration)
        batch = wrk(
            f"{url}/v1/predict",
            json.dumps({"instances": (rows * 2)[:1000]}).encode(),
            max(duration // 2, 5),
            threads=1,
            conns=2,
        )
        rss = peak_rss_mb(proc.proc.pid)
    finally:
        proc.stop()
    return {
        "start_s": statistics.median(starts),
        **single,
        "batch_rows_per_s": batch["rps"] * 1000,
        "batch_p99_ms": batch["p99_ms"],
        "peak_rss_mb": rss,
    }


def bench_sampling(model_dir: Path, rows: list[dict[str, Any]], duration: int) -> dict[str, float]:
    """Single-row req/s with every row sampled (worst case), 10% sampled, and off; alternated."""
    body = json.dumps({"instances": rows[:1]}).encode()
    rates = {"off": None, "all": "1", "tenth": "0.1"}
    runs: dict[str, list[float]] = {label: [] for label in rates}
    cpu: dict[str, list[float]] = {label: [] for label in rates}
    lines = 0
    for label in [*rates, *rates, *rates]:
        with tempfile.TemporaryDirectory() as tmp:
            rate = rates[label]
            env = {"MODEL_SAMPLE_RATE": rate, "MODEL_SAMPLE_DIR": tmp} if rate else {}
            proc, url = ours(model_dir, env)
            try:
                proc.ready(f"{url}/v2/health/ready", 30)
                before = cpu_seconds(proc.proc.pid)
                result = wrk(f"{url}/v1/predict", body, duration)
                cpu[label].append(1e6 * (cpu_seconds(proc.proc.pid) - before) / result["requests"])
                runs[label].append(result["rps"])
            finally:
                proc.stop()
            if label == "all":
                lines += sum(len(f.read_bytes().splitlines()) for f in Path(tmp).glob("samples-*"))
    off, every, tenth = (statistics.median(runs[k]) for k in rates)
    cpu_off, cpu_all, cpu_tenth = (statistics.median(cpu[k]) for k in rates)
    # CPU per request as well: steadier than req/s when other jobs share the two cores
    return {"sampling_off_rps": off, "sampling_on_rps": every, "sampling_tenth_rps": tenth,
            "sampled_lines": lines, "sampling_overhead_pct": 100 * (1 - every / off),
            "sampling_tenth_overhead_pct": 100 * (1 - tenth / off),
            "sampling_cpu_us": {"off": cpu_off, "all": cpu_all, "tenth": cpu_tenth},
            "sampling_cpu_overhead_pct": 100 * (cpu_all / cpu_off - 1),
            "sampling_tenth_cpu_overhead_pct": 100 * (cpu_tenth / cpu_off - 1)}  # fmt: skip


def in_process(model_dir: Path, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Rows/s scoring 1,000 rows in process: the ONNX path, and the sklearn Pipeline."""
    import pandas as pd

    from model.core.artifact import load_skops
    from model.core.features import feature_frame
    from model.serving.app import create_app

    app = create_app(model_dir)
    batch = (rows * 2)[:1000]
    columns, n = app.schema.instances({"instances": batch})

    def rate(fn: Any) -> float:
        times = []
        for _ in range(30):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return 1000 / statistics.median(times)

    frame = feature_frame(pd.DataFrame(batch))
    pipeline = load_skops(model_dir / "model.skops")
    return {
        "onnx_rows_per_s": rate(lambda: app.model.predict(columns, n)),
        "sklearn_rows_per_s": rate(lambda: pipeline.predict_proba(frame)),
    }


def container(image: str, base: str) -> dict[str, float]:
    """docker run -> ready (median of 3) and the image's size over its base."""
    if (
        not DOCKER
        or subprocess.run([DOCKER, "image", "inspect", image], capture_output=True).returncode
    ):
        return {}
    starts = []
    for _ in range(3):
        port = free_port()
        started = time.perf_counter()
        cmd = [
            DOCKER,
            "run",
            "-d",
            "--rm",
            *names.HARDENED_RUN_FLAGS,
            image,
            "--model-dir",
            names.IMAGE_MODEL_DIR,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        cid = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        try:
            wait_200(f"http://127.0.0.1:{port}/v2/health/ready", 60)
            starts.append(time.perf_counter() - started)
        finally:
            subprocess.run([DOCKER, "stop", "-t", "2", cid], capture_output=True)

    def size(ref: str) -> float:
        out = subprocess.run(
            [DOCKER, "image", "inspect", "-f", "{{.Size}}", ref], capture_output=True, text=True
        )
        return int(out.stdout.strip() or 0) / 1e6

    return {
        "cold_start_s": statistics.median(starts),
        "image_mb": size(image),
        "image_added_mb": size(image) - size(base) if size(base) else float("nan"),
    }


def main() -> int:
    """Run everything once and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--test", type=Path, default=ROOT / "artifacts" / "test.csv")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--image", default=names.LOCAL_TAG)
    parser.add_argument("--base-image", default="local/python:3.11-bookworm")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--mlserver-venv", type=Path, help="MLServer's venv (make serving-bench-env builds it)"
    )
    parser.add_argument(
        "--only-anchors", action="store_true", help="only ours vs mlflow and MLServer"
    )
    parser.add_argument("--only-limits", action="store_true", help="only limits on vs off")
    parser.add_argument("--only-oip", action="store_true", help="only issue 14's figures")
    parser.add_argument("--only-floor", action="store_true", help="only server vs HTTP floor")
    parser.add_argument("--only-binary", action="store_true", help="only 1,000-row binary")
    parser.add_argument("--only-repository", action="store_true", help="only the 1,000 models")
    parser.add_argument("--no-repository", action="store_true", help="skip the 1,000-model run")
    parser.add_argument("--rounds", type=int, default=3, help="limits on/off rounds")
    parser.add_argument("--with-h11", action="store_true", help="also time stock h11")
    parser.add_argument("--serve-unbounded", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--http", default="httptools", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_unbounded:
        serve_unbounded(args.serve_unbounded, args.port, args.http)
        return 0
    rows = read_rows(args.model_dir, args.test)
    if args.only_limits:
        limits = bench_limits(args.model_dir, rows, args.duration, args.rounds, args.with_h11)
        report_limits(limits)
        write_out({"limits": limits}, "serving-limits.json")
        return 0
    if args.only_floor:  # the quick one: CPU us and req/s per request, server vs floor
        import serving_oip

        floor = serving_oip.bench_floor(args.model_dir, rows, args.duration, args.rounds)
        serving_oip.report_floor(floor)
        write_out({"floor": floor}, "serving-floor.json")
        return 0
    if args.only_binary or args.only_repository:  # one of issue 14's figures, its own rounds
        import serving_oip

        if args.only_binary:
            binary = serving_oip.bench_binary(args.model_dir, rows, args.duration, args.rounds)
            serving_oip.report_binary(binary)
            write_out({"binary": binary}, "serving-binary.json")
        else:
            repo = serving_oip.bench_repository(
                args.model_dir, rows, args.duration, rounds=args.rounds
            )
            serving_oip.report_repository(repo)
            write_out({"repository": repo}, "serving-repository.json")
        return 0
    if args.only_oip:
        import serving_oip

        oip = serving_oip.run(
            args.model_dir, rows, args.duration, args.rounds, not args.no_repository
        )
        serving_oip.report(oip)
        write_out({"oip": oip}, "serving-oip.json")
        return 0
    res: dict[str, Any] = {"ours": bench_ours(args.model_dir, rows, args.duration)}
    res["mlflow"] = {} if args.skip_mlflow else bench_mlflow(args.model_dir, rows[0], args.duration)
    res["mlserver"] = mlserver(args.mlserver_venv, args.model_dir, rows[0], args.duration)
    if args.only_anchors:
        report_anchors(res)
        write_out(res, "serving-anchors.json")
        return 0
    res["limits"] = bench_limits(args.model_dir, rows, args.duration, args.rounds, args.with_h11)
    res["in_process"] = in_process(args.model_dir, rows)
    res["sampling"] = bench_sampling(args.model_dir, rows, args.duration)
    res["container"] = container(args.image, args.base_image)
    import serving_oip

    res["oip"] = serving_oip.run(
        args.model_dir, rows, args.duration, args.rounds, not args.no_repository
    )
    report(res)
    report_limits(res["limits"])
    serving_oip.report(res["oip"])
    write_out(res, "serving.json")
    return 0


def write_out(res: dict[str, Any], name: str) -> None:
    """Keep the figures as JSON under benchmarks/out/ (git-ignored)."""
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(res, indent=2) + "\n")


def report_limits(lim: dict[str, Any]) -> None:
    """The price of the connection and body limits on single-row throughput (target <= 3%)."""
    runs, cpu = lim["runs"], lim["cpu_us"]
    rounds = ", ".join(
        f"{a:.0f}/{b:.0f}" for a, b in zip(runs["with"], runs["without"], strict=True)
    )
    per_req = ", ".join(
        f"{a:.0f}/{b:.0f}" for a, b in zip(cpu["with"], cpu["without"], strict=True)
    )
    print(
        f"limits on: {lim['limits_on_rps']:.0f} req/s, off: {lim['limits_off_rps']:.0f} req/s "
        f"(medians of {len(runs['with'])} rounds; on/off per round: {rounds}); "
        f"cost {lim['limits_cost_pct']:+.1f}%"
    )
    print(
        f"server CPU per request: on {lim['limits_on_cpu_us']:.1f} us, off "
        f"{lim['limits_off_cpu_us']:.1f} us (per round: {per_req}); "
        f"cost {lim['limits_cpu_cost_pct']:+.1f}% (ratio of medians), "
        f"{lim['limits_paired_cpu_cost_pct']:+.1f}% (median of per-round ratios); target <= 3%"
    )
    p = lim["protocol"]
    print(
        f"in process, per keep-alive request: stock httptools protocol {p['stock_us']:.1f} us, "
        f"guarded {p['guarded_us']:.1f} us: the guard adds {p['guard_us']:.1f} us = "
        f"{lim['guard_share_pct']:.1f}% of the server's CPU per request"
    )
    if "h11_rps" in lim:
        print(
            f"stock h11 (bounds headers, no read deadlines): {lim['h11_rps']:.0f} req/s, "
            f"{lim['h11_cpu_us']:.1f} us CPU per request"
        )


def mlserver(venv: Path | None, model_dir: Path, row: dict[str, Any], duration: int) -> Any:
    """MLServer's figures, or {} when no venv was given (the report says it was not measured)."""
    if venv is None:
        return {}
    from serving_mlserver import bench_mlserver

    return bench_mlserver(venv, model_dir, row, duration)


def report_anchors(res: dict[str, Any]) -> None:
    """Single-row req/s of this server, `mlflow models serve` and MLServer, and the ratios."""
    o, m, ms = res["ours"], res["mlflow"], res["mlserver"]
    row = "{:44} {:>9} {:>8} {:>8} {:>8}"
    print(row.format("single row, wrk -t2 -c16", "req/s", "p50 ms", "p99 ms", "start s"))
    servers = (("this server (1 worker)", o), ("mlflow models serve -w 1", m),
               ("MLServer 1.7.1, mlserver-sklearn, 1 process", ms))  # fmt: skip
    for name, r in servers:
        if r:
            figures = (f"{r['rps']:.1f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                       f"{r['start_s']:.2f}")  # fmt: skip
            print(row.format(name, *figures))
    if m:
        print(
            f"throughput ratio {o['rps'] / m['rps']:.1f}x (target >= 20x); p99 {o['p99_ms']:.1f} ms"
        )
    if ms:
        print(f"throughput ratio vs MLServer {o['rps'] / ms['rps']:.1f}x")
    else:
        print("MLServer not measured: pass --mlserver-venv (make serving-bench runs it)")


def report(res: dict[str, Any]) -> None:
    """Print the figures and the ratios against the issue's targets."""
    o, ip, s, c, m = (res[k] for k in ("ours", "in_process", "sampling", "container", "mlflow"))
    report_anchors(res)
    share = o["batch_rows_per_s"] / ip["onnx_rows_per_s"]
    print(
        f"1,000-row requests: {o['batch_rows_per_s']:,.0f} rows/s over HTTP (p99 "
        f"{o['batch_p99_ms']:.1f} ms); in process: ONNX {ip['onnx_rows_per_s']:,.0f}, "
        f"sklearn {ip['sklearn_rows_per_s']:,.0f} rows/s; HTTP / in-process ONNX = {share:.0%}, "
        f"HTTP / in-process sklearn = {o['batch_rows_per_s'] / ip['sklearn_rows_per_s']:.0%}"
    )
    print(f"start -> ready {o['start_s']:.2f} s; peak RSS under load {o['peak_rss_mb']:.0f} MB")
    print(
        f"sampling every row: {s['sampling_on_rps']:.0f} vs {s['sampling_off_rps']:.0f} req/s off "
        f"({s['sampling_overhead_pct']:+.1f}% cost; CPU per request "
        f"{s['sampling_cpu_overhead_pct']:+.1f}%)"
    )
    print(
        f"sampling 10% of rows: {s['sampling_tenth_rps']:.0f} vs {s['sampling_off_rps']:.0f} "
        f"req/s off ({s['sampling_tenth_overhead_pct']:+.1f}% cost; CPU per request "
        f"{s['sampling_tenth_cpu_overhead_pct']:+.1f}%; medians of 3 alternated rounds)"
    )
    if c:
        print(
            f"docker run -> ready {c['cold_start_s']:.2f} s; image {c['image_mb']:.0f} MB, "
            f"{c['image_added_mb']:.0f} MB added over the base"
        )
    non_2xx = o["non_2xx"] + (m["non_2xx"] if m else 0) + res["mlserver"].get("non_2xx", 0)
    if non_2xx:
        print(f"WARNING: {non_2xx:.0f} non-2xx responses during load")


if __name__ == "__main__":
    raise SystemExit(main())
