"""Issue 14's figures: the HTTP floor, binary tensors, tritonclient, and many models per process.

Run through benchmarks/serving.py (all of it, or `--only-oip`). Every ratio compares two
things measured in the same run, alternated round by round on this shared machine:

- single-row req/s of this server / a bare uvicorn app answering a constant JSON body;
- 1,000-row binary-tensor requests, rows/s / in-process ONNX batch rows/s;
- tritonclient in its default (binary) mode, against the real server;
- 1,000 registered distinct models with 100 hot: RSS, cold-load latency, hot req/s /
  single-model; 100 names pinning one model (one shared load) for comparison.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from serving import Proc, cpu_seconds, free_port, ours, peak_rss_mb, wrk

from model import config
from model.core.schema import Contract

MODEL = "credit-scoring"
FLOOR_BODY = (
    b'{"model_name":"credit-scoring","model_version":"0","threshold":0.5,'
    b'"predictions":[{"probability":0.1,"label":"good"}]}'
)
# Every arm of the many-models figure sends through this one request function, so wrk spends
# the same client CPU per request in each: a static request costs wrk less than a Lua-built one,
# and on two shared cores the client's cost comes out of the server's.
ROTATE_LUA = """local paths = {{{paths}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
"""


def rotating(names: list[str]) -> str:
    """wrk Lua sending infer requests to `names` in turn."""
    return ROTATE_LUA.format(paths=", ".join(f'"/v2/models/{n}/infer"' for n in names))


async def floor_app(scope: Any, receive: Any, send: Any) -> None:
    """The HTTP floor: read the body, answer a constant JSON body of the same shape."""
    if scope["type"] == "lifespan":  # served with lifespan "on", as `model serve` is
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(FLOOR_BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": FLOOR_BODY})


def serve_floor(port: int) -> None:
    """uvicorn with exactly `model serve`'s settings: loop, parser + guard, cap, no access log."""
    import uvicorn

    from model.serving.limits import Limits
    from model.serving.run import uvicorn_options

    options = uvicorn_options(Limits.from_env(), lambda status: None) | {"log_level": "warning"}
    uvicorn.run(floor_app, host="127.0.0.1", port=port, **options)


def serve_asgi_path(port: int, model_dir: Path) -> None:
    """`model serve` with its direct path off: every request through uvicorn's ASGI cycle."""
    import uvicorn

    from model.serving.app import create_app
    from model.serving.run import uvicorn_options

    app = create_app(model_dir)
    options = uvicorn_options(app.limits, app.count_rejected) | {"log_level": "warning"}
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


def asgi_path(model_dir: Path) -> tuple[Proc, str]:
    """Start this server without its direct path on a free port."""
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), str(port), str(model_dir)]
    return Proc(cmd), f"http://127.0.0.1:{port}"


def floor() -> tuple[Proc, str]:
    """Start the floor app on a free port."""
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), str(port)]
    return Proc(cmd), f"http://127.0.0.1:{port}"


def mean_batch(url: str) -> float:
    """Rows per model run over the server's life, from its /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text

    def total(name: str) -> float:
        return sum(float(v) for v in re.findall(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.M))

    return total("model_rows_scored_total") / max(total("model_scoring_runs_total"), 1.0)


def checked(result: dict[str, float], what: str) -> dict[str, float]:
    """A wrk result, refused when any response was not 2xx (an error is not throughput)."""
    if result["non_2xx"]:
        raise RuntimeError(f"{what}: {result['non_2xx']:.0f} non-2xx responses")
    return result


def bench_floor(model_dir: Path, rows: list[dict[str, Any]], duration: int, rounds: int) -> Any:
    """Single-row /v1/predict vs the floor, same body, same wrk, same uvicorn, alternated;
    and the same server with its direct path off (every request through the ASGI cycle)."""
    body = json.dumps({"instances": rows[:1]}).encode()
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "asgi": [], "floor": []}
    starts = (("ours", lambda: ours(model_dir)), ("asgi", lambda: asgi_path(model_dir)),
              ("floor", floor))  # fmt: skip
    for _ in range(rounds):
        for label, start in starts:
            proc, url = start()
            try:
                proc.ready(url if label == "floor" else f"{url}/v2/health/ready", 30)
                before = cpu_seconds(proc.proc.pid)
                result = checked(wrk(f"{url}/v1/predict", body, duration), label)
                # CPU per request: steadier than req/s when other jobs share the cores
                result["cpu_us"] = 1e6 * (cpu_seconds(proc.proc.pid) - before) / result["requests"]
                if label != "floor":
                    result["mean_batch"] = mean_batch(url)
                runs[label].append(result)
            finally:
                proc.stop()
    ratios = [a["rps"] / b["rps"] for a, b in zip(runs["ours"], runs["floor"], strict=True)]
    direct = [a["rps"] / b["rps"] for a, b in zip(runs["ours"], runs["asgi"], strict=True)]
    cpu = [b["cpu_us"] / a["cpu_us"] for a, b in zip(runs["ours"], runs["floor"], strict=True)]
    return {
        "rounds": rounds,
        "ours_cpu_us": statistics.median(r["cpu_us"] for r in runs["ours"]),
        "floor_cpu_us": statistics.median(r["cpu_us"] for r in runs["floor"]),
        "cpu_ratio": statistics.median(cpu),
        "cpu_ratios": cpu,
        "ours_rps": statistics.median(r["rps"] for r in runs["ours"]),
        "floor_rps": statistics.median(r["rps"] for r in runs["floor"]),
        "asgi_rps": statistics.median(r["rps"] for r in runs["asgi"]),
        "asgi_cpu_us": statistics.median(r["cpu_us"] for r in runs["asgi"]),
        "direct_ratio": statistics.median(direct),
        "direct_ratios": direct,
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "mean_batch": statistics.median(r["mean_batch"] for r in runs["ours"]),
        "asgi_mean_batch": statistics.median(r["mean_batch"] for r in runs["asgi"]),
        "ours_p99_ms": statistics.median(r["p99_ms"] for r in runs["ours"]),
        "ours_p50_ms": statistics.median(r["p50_ms"] for r in runs["ours"]),
        "p99s_ms": [r["p99_ms"] for r in runs["ours"]],
        **onnx_run_sizes(model_dir, rows),
        "loads": [r["load"] for r in runs["ours"]],
        "floor_loads": [r["load"] for r in runs["floor"]],
    }


def binary_body(rows: list[dict[str, Any]], contract: Contract, n: int) -> tuple[bytes, int]:
    """A tritonclient-style request: every input as raw bytes, the output asked as raw FP64."""
    batch = (rows * (n // len(rows) + 1))[:n]
    inputs, blobs = [], []
    for col in contract.features:
        values = [r[col.name] for r in batch]
        if col.kind == "category":
            encoded = [v.encode() for v in values]
            blob = b"".join(len(v).to_bytes(4, "little") + v for v in encoded)
            datatype = "BYTES"
        else:
            datatype = "INT64" if col.kind == "int" else "FP64"
            blob = np.array(values, dtype="<i8" if col.kind == "int" else "<f8").tobytes()
        inputs.append(
            {
                "name": col.name,
                "datatype": datatype,
                "shape": [n],
                "parameters": {"binary_data_size": len(blob)},
            }
        )
        blobs.append(blob)
    header = json.dumps({"inputs": inputs, "parameters": {"binary_data_output": True}}).encode()
    return header + b"".join(blobs), len(header)


def tritonclient_works(url: str, rows: list[dict[str, Any]], contract: Contract) -> bool:
    """One default-mode (binary) tritonclient infer; True when it returns N probabilities."""
    import tritonclient.http as th

    client = th.InferenceServerClient(url.removeprefix("http://"))
    inputs = []
    for col in contract.features:
        values = [r[col.name] for r in rows[:8]]
        dtype, datatype = {"category": (object, "BYTES"), "int": (np.int64, "INT64")}.get(
            col.kind, (np.float64, "FP64")
        )
        tensor = th.InferInput(col.name, [len(values)], datatype)
        tensor.set_data_from_numpy(np.array(values, dtype=dtype))
        inputs.append(tensor)
    return client.infer(MODEL, inputs).as_numpy("probability").shape == (8,)


def onnx_in_process(model_dir: Path, rows: list[dict[str, Any]], n: int = 1000) -> dict[str, float]:
    """One n-row ONNX batch in process, as the server scores it: rows/s, CPU ms (median of 30)."""
    from model.serving.app import create_app

    app = create_app(model_dir)
    columns, _ = app.schema.instances({"instances": (rows * (n // len(rows) + 1))[:n]})
    wall, cpu = [], []
    for _ in range(30):
        start, start_cpu = time.perf_counter(), time.process_time()
        app.model.predict(columns, n)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    app.close()
    return {"rows_per_s": n / statistics.median(wall), "cpu_ms": 1e3 * statistics.median(cpu)}


def _binary_run(
    model_dir: Path, body: bytes, headers: dict[str, str], duration: int, env: dict[str, str]
) -> tuple[dict[str, float], float]:
    """One server, one wrk run of 1,000-row binary requests: (wrk result, server CPU ms/request)."""
    proc, url = ours(model_dir, env)
    try:
        proc.ready(f"{url}/v2/health/ready", 30)
        before = cpu_seconds(proc.proc.pid)
        result = wrk(f"{url}/v2/models/{MODEL}/infer", body, max(duration // 2, 5),
                     threads=1, conns=2, headers=headers)  # fmt: skip
        checked(result, "1,000-row binary")
        return result, 1e3 * (cpu_seconds(proc.proc.pid) - before) / result["requests"]
    finally:
        proc.stop()


def bench_binary(
    model_dir: Path, rows: list[dict[str, Any]], duration: int, rounds: int
) -> dict[str, Any]:
    """1,000-row binary requests vs in-process ONNX, measured back to back in each round:
    batches on the scoring thread (the default), then on the loop (MODEL_OFFLOAD_ROWS=0)."""
    contract = Contract.from_dict(json.loads((model_dir / "model.json").read_text())["contract"])
    body, size = binary_body(rows, contract, 1000)
    headers = {"Inference-Header-Content-Length": str(size)}
    arms = {"thread": {}, "loop": {config.MODEL_OFFLOAD_ROWS: "0"}}
    rps: dict[str, list[float]] = {arm: [] for arm in arms}
    cpu_ms: dict[str, list[float]] = {arm: [] for arm in arms}
    onnx, loads = [], []
    for _ in range(rounds):
        for arm, env in arms.items():
            result, cpu = _binary_run(model_dir, body, headers, duration, env)
            rps[arm].append(result["rps"] * 1000)
            cpu_ms[arm].append(cpu)
            loads.append(result["load"])
        onnx.append(onnx_in_process(model_dir, rows))
    proc, url = ours(model_dir)
    try:
        proc.ready(f"{url}/v2/health/ready", 30)
        works = tritonclient_works(url, rows, contract)
    finally:
        proc.stop()

    def ratios(arm: str) -> list[float]:
        return [h / o["rows_per_s"] for h, o in zip(rps[arm], onnx, strict=True)]

    def cpu_ratio(arm: str) -> float:
        return statistics.median(o["cpu_ms"] / c for o, c in zip(onnx, cpu_ms[arm], strict=True))

    return {"rounds": rounds, "binary_rows_per_s": statistics.median(rps["thread"]),
            "onnx_rows_per_s": statistics.median(o["rows_per_s"] for o in onnx),
            "ratio": statistics.median(ratios("thread")), "ratios": ratios("thread"),
            "loop_ratio": statistics.median(ratios("loop")), "loop_ratios": ratios("loop"),
            "server_cpu_ms": statistics.median(cpu_ms["thread"]),
            "loop_cpu_ms": statistics.median(cpu_ms["loop"]),
            "onnx_cpu_ms": statistics.median(o["cpu_ms"] for o in onnx),
            "cpu_ratio": cpu_ratio("thread"), "loop_cpu_ratio": cpu_ratio("loop"),
            "loads": loads, "tritonclient_binary_works": works}  # fmt: skip


def _distinct_models(model_dir: Path, tmp: Path, count: int) -> Path:
    """An index of `count` distinct models, as a fleet's are: each model.onnx has its leaf
    weights scaled by its own factor near 1, so each name is its own bundle (own digest, own
    ONNX session) and no two names can share a load."""
    import onnx

    from model.core.artifact import bundle_sha256, read_bundle

    proto = onnx.load(model_dir / "model.onnx")
    weights = next(
        a for node in proto.graph.node for a in node.attribute if a.name == "class_weights"
    )
    base, meta = list(weights.floats), (model_dir / "model.json").read_bytes()
    lines, digests = [], set()
    for i in range(count):
        folder = tmp / f"m{i:04d}"
        folder.mkdir()
        weights.floats[:] = [w * (1 + (i + 1) * 1e-6) for w in base]
        (folder / "model.onnx").write_bytes(proto.SerializeToString())
        (folder / "model.json").write_bytes(meta)
        digest = bundle_sha256(read_bundle(folder))
        digests.add(digest)
        lines.append(f"- {{name: m{i:04d}, uri: '{folder}', sha256: '{digest}'}}\n")
    if len(digests) != count:
        raise RuntimeError("the fleet's models are not distinct: two share a digest")
    return _index(tmp / "models.yaml", lines)


def _aliases(model_dir: Path, tmp: Path, count: int) -> Path:
    """An index of `count` names that all pin the one model in `model_dir` (one shared load)."""
    digest = (model_dir / "model.sha256").read_text().split()[0]
    lines = [
        f"- {{name: m{i:04d}, uri: '{model_dir.resolve()}', sha256: '{digest}'}}\n"
        for i in range(count)
    ]
    return _index(tmp / "aliases.yaml", lines)


def _index(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _infer_ms(http: httpx.Client, url: str, name: str, body: bytes) -> float:
    start = time.perf_counter()
    reply = http.post(f"{url}/v2/models/{name}/infer", content=body)
    took = (time.perf_counter() - start) * 1e3
    if reply.status_code != 200:
        raise RuntimeError(f"{name}: {reply.status_code} {reply.text[:200]}")
    return took


def onnx_run_sizes(
    model_dir: Path, rows: list[dict[str, Any]], sizes: tuple[int, ...] = (1, 8, 16)
) -> dict[str, float]:
    """us per ONNX run of 1, 8 and 16 rows, in process, as the server scores them (min of 5
    rounds of 2,000): why single rows read in one loop turn share a run."""
    from model.serving.app import create_app

    app = create_app(model_dir)
    out = {}
    for size in sizes:
        columns, n = app.schema.instances({"instances": (rows * size)[:size]})
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(2000):
                app.model.scores(columns, n)
            best = min(best, (time.perf_counter() - start) / 2000 * 1e6)
        out[f"run_{size}_rows_us"] = best
    app.close()
    return out


def onnx_sessions(
    model_dir: Path, row: dict[str, Any], count: int = 100, n: int = 5000
) -> dict[str, float]:
    """us per single-row ONNX run: one session, then `count` sessions of the same model.onnx
    in turn, with 2 MB of memory read between runs as a server's own work reads it (min of
    5 rounds). The gap is what a hot model costs when 100 models share the CPU caches. The
    same with ONNX Runtime's memory arena off, and for the tree ensemble alone (a graph of
    only its TreeEnsembleClassifier node, fed the encoded row): where the gap comes from. And
    the compiled one-row scorer (model/serving/compiled.py), one and `count` of them."""
    import onnxruntime as ort

    from model.serving.app import create_app
    from model.serving.inference import fast_run

    app = create_app(model_dir)
    onnx = (model_dir / "model.onnx").read_bytes()
    trees, width = _trees_only(onnx)
    encoded = {"X": np.random.default_rng(0).random((1, width), dtype=np.float32)}
    other_work = np.zeros(2_000_000 // 8)

    def in_turn(calls: list[Any]) -> float:
        """us per call, `calls` taking turns, 2 MB read before each (min of 5 rounds)."""
        best = float("inf")
        for _ in range(5):
            took = 0.0
            for i in range(n):
                other_work.sum()
                start = time.perf_counter()
                calls[i % len(calls)]()
                took += time.perf_counter() - start
            best = min(best, took / n * 1e6)
        return best

    def per_run(model: bytes, feed: dict[str, Any], many: int, arena: bool = True) -> float:
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = arena
        cpu = ["CPUExecutionProvider"]
        sessions = [ort.InferenceSession(model, options, providers=cpu) for _ in range(many)]
        runs = [fast_run(s) for s in sessions]
        return in_turn([lambda run=run: run(["probabilities"], feed, None) for run in runs])

    def compiled_per_run(many: int) -> float:
        from model.serving.compiled import compile_one_row
        from model.serving.inference import OUTPUT

        scorers = [compile_one_row(onnx, app.model.kinds, OUTPUT) for _ in range(many)]
        return in_turn([lambda scorer=scorer: scorer(columns) for scorer in scorers])

    def compile_ms() -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            app.model.compile(onnx)
            best = min(best, time.perf_counter() - start)
        assert app.model.compiled is not None, "the benchmark's model does not compile"
        return best * 1e3

    columns, _ = app.schema.instances({"instances": [row]})
    app.model._probabilities(columns, 1)  # ONNX Runtime's path fills the shared one-row feed
    feed = app.model.one
    out = {"sessions": count, "one_session_us": per_run(onnx, feed, 1),
           "many_sessions_us": per_run(onnx, feed, count),
           "no_arena_one_us": per_run(onnx, feed, 1, arena=False),
           "no_arena_many_us": per_run(onnx, feed, count, arena=False),
           "trees_one_us": per_run(trees, encoded, 1),
           "trees_many_us": per_run(trees, encoded, count),
           "compiled_one_us": compiled_per_run(1),
           "compiled_many_us": compiled_per_run(count),
           "compile_ms": compile_ms()}  # fmt: skip
    app.close()
    return out


def _trees_only(onnx: bytes) -> tuple[bytes, int]:
    """The model's TreeEnsembleClassifier alone, taking its encoded [N, width] input."""
    import onnx as onnx_lib
    from onnx import TensorProto, helper

    proto = onnx_lib.load_from_string(onnx)
    node = next(n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier")
    width = 1 + max(next(a.ints for a in node.attribute if a.name == "nodes_featureids"))
    trees = helper.make_node(node.op_type, ["X"], ["label", "probabilities"], domain=node.domain)
    trees.attribute.extend(node.attribute)
    graph = helper.make_graph(
        [trees], "trees", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=proto.opset_import)
    return model.SerializeToString(), width


def bench_repository(
    model_dir: Path,
    rows: list[dict[str, Any]],
    duration: int,
    count: int = 1000,
    hot: int = 100,
    rounds: int = 2,
) -> dict[str, Any]:
    """1,000 distinct models registered, 100 hot: RSS, cold-load latency, hot req/s vs
    single-model mode; and 100 names pinning one model, which share one load."""
    contract = Contract.from_dict(json.loads((model_dir / "model.json").read_text())["contract"])
    types = {"category": "BYTES", "int": "INT64", "float": "FP64"}
    tensors = [
        {"name": c.name, "datatype": types[c.kind], "shape": [1], "data": [rows[0][c.name]]}
        for c in contract.features
    ]
    body = json.dumps({"inputs": tensors}).encode()
    out: dict[str, Any] = {"registered": count, "hot": hot}
    runs: dict[str, list[dict[str, float]]] = {
        "repository": [], "one_of_them": [], "aliases": [], "single": [],
        "repository_ort": [], "single_ort": [],
    }  # fmt: skip
    env = {"MODEL_MEMORY_BUDGET": str(hot)}
    # the same two arms with every request on ONNX Runtime: the compiled scorer's share
    ort_only = {config.MODEL_COMPILED_TREES: "0"}
    with tempfile.TemporaryDirectory() as tmp:
        index = _distinct_models(model_dir, Path(tmp), count)
        aliases = _aliases(model_dir, Path(tmp), hot)
        for round_ in range(rounds):
            proc, url = _repository_server(index, env)
            try:
                out["start_s"] = proc.ready(f"{url}/v2/health/ready", 30)
                with httpx.Client(timeout=30) as http:
                    first = [_infer_ms(http, url, f"m{i:04d}", body) for i in range(hot)]
                    cold = [_infer_ms(http, url, f"m{i:04d}", body) for i in range(hot, 3 * hot)]
                if round_ == 0:
                    out["rss_mb_hot"] = _rss_mb(proc.proc.pid)
                    out["first_load_ms"] = first[0]  # includes ONNX Runtime's own start
                    out["cold_p50_ms"] = statistics.median(cold)
                    out["cold_p99_ms"] = float(np.percentile(cold, 99))
                names = [f"m{i:04d}" for i in range(2 * hot, 3 * hot)]
                _compiles_done(url)
                result = _timed(proc, url, body, duration, names, "rotating hot models")
                runs["repository"].append(result)
                # one model hot among the 100 loaded: no cache misses across 100 sessions
                runs["one_of_them"].append(_timed(proc, url, body, duration, names[:1], "one"))
                peak = peak_rss_mb(proc.proc.pid)
                out["peak_rss_mb"] = max(out.get("peak_rss_mb", 0.0), peak)
            finally:
                proc.stop()
            proc, url = _repository_server(aliases, env)
            try:
                proc.ready(f"{url}/v2/health/ready", 30)
                names = [f"m{i:04d}" for i in range(hot)]
                with httpx.Client(timeout=30) as http:
                    _infer_ms(http, url, names[0], body)
                _compiles_done(url)
                runs["aliases"].append(_timed(proc, url, body, duration, names, "aliases"))
                out["aliases_rss_mb"] = _rss_mb(proc.proc.pid)
            finally:
                proc.stop()
            proc, url = ours(model_dir)
            try:
                proc.ready(f"{url}/v2/health/ready", 30)
                runs["single"].append(_timed(proc, url, body, duration, [MODEL], "single"))
            finally:
                proc.stop()
            runs["repository_ort"].append(_hot_run(index, env | ort_only, body, duration, hot))
            proc, url = ours(model_dir, ort_only)
            try:
                proc.ready(f"{url}/v2/health/ready", 30)
                runs["single_ort"].append(_timed(proc, url, body, duration, [MODEL], "single"))
            finally:
                proc.stop()
    return (
        out
        | _hot_figures(runs)
        | onnx_sessions(model_dir, rows[0], hot)
        | oip_parse(model_dir, body)
    )


def oip_parse(model_dir: Path, body: bytes, n: int = 20000) -> dict[str, float]:
    """us to validate this single-row /v2 infer JSON body in process: the one-row fast path,
    then the general per-tensor path (min of 5 rounds of `n`)."""
    from model.serving import oip
    from model.serving.app import create_app
    from model.serving.schema import parse_json

    app = create_app(model_dir)
    request = parse_json(body)
    inputs = request["inputs"]

    def best(call: Any) -> float:
        out = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                call()
            out = min(out, (time.perf_counter() - start) / n * 1e6)
        return out

    fast = best(lambda: oip.parse_infer(app.schema, request))
    general = best(lambda: oip._tensors(app.schema, inputs, None))
    app.close()
    return {"parse_us": fast, "parse_general_us": general}


def _hot_run(
    index: Path, env: dict[str, str], body: bytes, duration: int, hot: int
) -> dict[str, float]:
    """`hot` models loaded, then requests across them in turn (no cold loads timed)."""
    proc, url = _repository_server(index, env)
    try:
        proc.ready(f"{url}/v2/health/ready", 30)
        names = [f"m{i:04d}" for i in range(hot)]
        with httpx.Client(timeout=30) as http:
            for name in names:
                _infer_ms(http, url, name, body)
        return _timed(proc, url, body, duration, names, "rotating hot models, ONNX Runtime only")
    finally:
        proc.stop()


def _compiles_done(url: str, timeout: float = 120) -> None:
    """Wait until the server has no compiled scorer left to build (they build in the
    background after a cold load): the hot arms time the steady state."""
    deadline = time.monotonic() + timeout
    pending = re.compile(r"^model_repository_compiles_pending (\S+)$", re.MULTILINE)
    while time.monotonic() < deadline:
        found = pending.search(httpx.get(f"{url}/metrics", timeout=30).text)
        if found is None:
            raise RuntimeError("the server exports no model_repository_compiles_pending")
        if float(found.group(1)) == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"compiles still pending after {timeout:.0f} s")


def _repository_server(index: Path, env: dict[str, str]) -> tuple[Proc, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "model.serving", "--repository", str(index), "--port", str(port)]
    return Proc(cmd, env), f"http://127.0.0.1:{port}"


def _timed(
    proc: Proc, url: str, body: bytes, duration: int, names: list[str], what: str
) -> dict[str, float]:
    """wrk over `names` in turn, with the server's CPU per request."""
    before = cpu_seconds(proc.proc.pid)
    result = checked(wrk(url, body, duration, lua=rotating(names)), what)
    result["cpu_us"] = 1e6 * (cpu_seconds(proc.proc.pid) - before) / result["requests"]
    return result


def _hot_figures(runs: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """req/s and CPU-per-request ratios of the many-models arms against single-model mode."""

    def ratio(arm: str, key: str, inverse: bool = False, single: str = "single") -> list[float]:
        pairs = zip(runs[arm], runs[single], strict=True)
        return [(b[key] / a[key]) if inverse else (a[key] / b[key]) for a, b in pairs]

    hot = ratio("repository", "rps")
    return {
        "one_hot_rps": statistics.median(r["rps"] for r in runs["one_of_them"]),
        "one_hot_ratio": statistics.median(ratio("one_of_them", "rps")),
        "hot_rps": statistics.median(r["rps"] for r in runs["repository"]),
        "single_infer_rps": statistics.median(r["rps"] for r in runs["single"]),
        "hot_ratio": statistics.median(hot),
        "hot_ratios": hot,
        # CPU per request, single-model over 100 hot: steadier than req/s on shared cores
        "hot_cpu_us": statistics.median(r["cpu_us"] for r in runs["repository"]),
        "one_hot_cpu_us": statistics.median(r["cpu_us"] for r in runs["one_of_them"]),
        "single_cpu_us": statistics.median(r["cpu_us"] for r in runs["single"]),
        "hot_cpu_ratio": statistics.median(ratio("repository", "cpu_us", inverse=True)),
        "aliases_ratio": statistics.median(ratio("aliases", "rps")),
        "aliases_cpu_ratio": statistics.median(ratio("aliases", "cpu_us", inverse=True)),
        "ort_hot_rps": statistics.median(r["rps"] for r in runs["repository_ort"]),
        "ort_single_rps": statistics.median(r["rps"] for r in runs["single_ort"]),
        "ort_hot_ratios": ratio("repository_ort", "rps", single="single_ort"),
        "ort_hot_ratio": statistics.median(ratio("repository_ort", "rps", single="single_ort")),
        "ort_hot_cpu_ratio": statistics.median(
            ratio("repository_ort", "cpu_us", inverse=True, single="single_ort")
        ),
        "ort_single_cpu_us": statistics.median(r["cpu_us"] for r in runs["single_ort"]),
        "ort_hot_cpu_us": statistics.median(r["cpu_us"] for r in runs["repository_ort"]),
    }


def run(
    model_dir: Path, rows: list[dict[str, Any]], duration: int, rounds: int, repository: bool = True
) -> dict[str, Any]:
    """All of issue 14's figures, one run."""
    res = {"floor": bench_floor(model_dir, rows, duration, rounds)}
    res["binary"] = bench_binary(model_dir, rows, duration, rounds)
    if repository:
        res["repository"] = bench_repository(model_dir, rows, duration)
    return res


def _each(values: list[float], fmt: str = ".2f") -> str:
    return ", ".join(f"{x:{fmt}}" for x in values)


def report(res: dict[str, Any]) -> None:
    """Print the figures against issue 14's targets, with the load average of each round."""
    report_floor(res["floor"])
    report_binary(res["binary"])
    if "repository" in res:
        report_repository(res["repository"])


def report_floor(f: dict[str, Any]) -> None:
    """Single-row req/s and server CPU per request against the HTTP floor."""
    print(
        f"single row /v1/predict, wrk -t2 -c16, medians of {f['rounds']} alternated rounds: "
        f"floor {f['floor_rps']:.0f} req/s, model serve {f['ours_rps']:.0f} req/s, "
        f"ratio {f['ratio']:.2f} (per round {_each(f['ratios'])}; target >= 0.45); "
        f"p50 {f['ours_p50_ms']:.2f} ms, p99 {f['ours_p99_ms']:.2f} ms (per round "
        f"{_each(f['p99s_ms'])}; target <= 3 ms); load average {_each(f['loads'], '.1f')} "
        f"(floor rounds {_each(f['floor_loads'], '.1f')})"
    )
    print(
        f"  server CPU per request {f['ours_cpu_us']:.0f} us vs floor {f['floor_cpu_us']:.0f} "
        f"us: CPU ratio {f['cpu_ratio']:.2f} (per round {_each(f['cpu_ratios'])}); "
        f"rows per ONNX run {f['mean_batch']:.1f} (single-row requests read in one loop turn "
        f"share a run; in process one run of 1 / 8 / 16 rows costs {f['run_1_rows_us']:.0f} / "
        f"{f['run_8_rows_us']:.0f} / {f['run_16_rows_us']:.0f} us)"
    )
    print(
        f"  the same server with its direct path off (ASGI cycle for every request): "
        f"{f['asgi_rps']:.0f} req/s, {f['asgi_cpu_us']:.0f} us CPU per request, "
        f"{f['asgi_mean_batch']:.1f} rows per ONNX run; direct ÷ ASGI "
        f"{f['direct_ratio']:.2f} (per round {_each(f['direct_ratios'])})"
    )


def report_binary(b: dict[str, Any]) -> None:
    """1,000-row binary-tensor requests against in-process ONNX, both server arms."""
    print(
        f"1,000-row binary requests, medians of {b['rounds']} rounds (in-process ONNX right "
        f"after each round's HTTP runs): {b['binary_rows_per_s']:,.0f} rows/s vs in-process ONNX "
        f"{b['onnx_rows_per_s']:,.0f}: ratio {b['ratio']:.2f} (per round {_each(b['ratios'])}; "
        f"target >= 0.85); load average {_each(b['loads'], '.1f')}"
    )
    print(
        f"  server CPU per request {b['server_cpu_ms']:.2f} ms vs in-process ONNX CPU per batch "
        f"{b['onnx_cpu_ms']:.2f} ms: CPU ratio {b['cpu_ratio']:.2f}; "
        f"tritonclient default (binary) mode works: {b['tritonclient_binary_works']}"
    )
    print(
        f"  the same with every run on the event loop (MODEL_OFFLOAD_ROWS=0), same rounds: "
        f"ratio {b['loop_ratio']:.2f} (per round {_each(b['loop_ratios'])}), server CPU "
        f"{b['loop_cpu_ms']:.2f} ms per request (CPU ratio {b['loop_cpu_ratio']:.2f}); "
        f"scoring thread ÷ loop {b['ratio'] / b['loop_ratio']:.2f}"
    )


def report_repository(r: dict[str, Any]) -> None:
    """Many models per process: RSS, cold loads, hot throughput."""
    print(
        f"{r['registered']} models registered, {r['hot']} hot: RSS {r['rss_mb_hot']:.0f} MB "
        f"(peak over the run {r['peak_rss_mb']:.0f} MB; target <= 400); "
        f"cold load on first request p50 "
        f"{r['cold_p50_ms']:.1f} ms, p99 {r['cold_p99_ms']:.1f} ms (target <= 50; the very "
        f"first load, ONNX Runtime's start included: {r['first_load_ms']:.0f} ms)"
    )
    print(
        f"hot single-row infer across {r['hot']} models: {r['hot_rps']:.0f} req/s vs "
        f"single-model {r['single_infer_rps']:.0f}: ratio {r['hot_ratio']:.2f} "
        f"(per round {_each(r['hot_ratios'])}; target >= 0.9); one hot model among them: "
        f"{r['one_hot_rps']:.0f} req/s, ratio {r['one_hot_ratio']:.2f}"
    )
    print(
        f"  every request on ONNX Runtime (MODEL_COMPILED_TREES=0), same run: "
        f"{r['ort_hot_rps']:.0f} req/s vs single-model {r['ort_single_rps']:.0f}: ratio "
        f"{r['ort_hot_ratio']:.2f} (per round {_each(r['ort_hot_ratios'])}), CPU ratio "
        f"{r['ort_hot_cpu_ratio']:.2f}; CPU per request {r['ort_hot_cpu_us']:.0f} / "
        f"{r['ort_single_cpu_us']:.0f} us; the compiled scorer makes single-model "
        f"{r['single_infer_rps'] / r['ort_single_rps']:.2f}x and 100 hot "
        f"{r['hot_rps'] / r['ort_hot_rps']:.2f}x as fast"
    )
    print(
        f"  server CPU per request: 100 hot {r['hot_cpu_us']:.0f} us, one hot among them "
        f"{r['one_hot_cpu_us']:.0f} us, single-model {r['single_cpu_us']:.0f} us: CPU ratio "
        f"(single ÷ 100 hot) {r['hot_cpu_ratio']:.2f}; every arm sends through the same wrk Lua"
    )
    print(
        f"  ONNX Runtime alone, in process, one row, 2 MB of other work read between runs: "
        f"{r['one_session_us']:.1f} us per run with one session, {r['many_sessions_us']:.1f} us "
        f"with {r['sessions']} sessions in turn (+{r['many_sessions_us'] - r['one_session_us']:.1f}"
        f" us: each model's session is out of cache when its turn comes)"
    )
    print(
        f"  the same with ONNX Runtime's memory arena off: {r['no_arena_one_us']:.1f} / "
        f"{r['no_arena_many_us']:.1f} us; the tree ensemble alone: {r['trees_one_us']:.1f} / "
        f"{r['trees_many_us']:.1f} us (one session / {r['sessions']} in turn)"
    )
    print(
        f"  the compiled one-row scorer, same row: {r['compiled_one_us']:.1f} us with one, "
        f"{r['compiled_many_us']:.1f} us with {r['sessions']} distinct ones in turn; building "
        f"and probing one takes {r['compile_ms']:.1f} ms, in the background after a cold load"
    )
    print(
        f"  this single-row /v2 JSON body, validated in process: {r['parse_us']:.1f} us "
        f"(the general per-tensor path: {r['parse_general_us']:.1f} us)"
    )
    gap = r["many_sessions_us"] - r["one_session_us"]
    print(
        f"  what those misses alone leave of single-model speed: {r['single_cpu_us']:.0f} / "
        f"({r['single_cpu_us']:.0f} + {gap:.0f}) = "
        f"{r['single_cpu_us'] / (r['single_cpu_us'] + gap):.2f}; {r['hot']} names pinning one "
        f"model (one shared session, RSS {r['aliases_rss_mb']:.0f} MB): ratio "
        f"{r['aliases_ratio']:.2f}, CPU ratio {r['aliases_cpu_ratio']:.2f}"
    )


if __name__ == "__main__":  # floor() and asgi_path() start their servers as processes
    if len(sys.argv) > 2:
        serve_asgi_path(int(sys.argv[1]), Path(sys.argv[2]))
    else:
        serve_floor(int(sys.argv[1]))
