# Benchmarks that need more than the project's environment (not in make test).
MLSERVER_VENV ?= .state/mlserver

.PHONY: serving-bench-env serving-bench

serving-bench-env: env ## wrk (Debian's) and MLServer 1.7.1 in its own venv, from a hashed lock (benchmarks/mlserver/)
	bash scripts/apt-provide.sh wrk wrk
	$(UV) venv -q --allow-existing --python 3.11 $(MLSERVER_VENV)
	$(UV) pip install -q --python $(MLSERVER_VENV)/bin/python --require-hashes \
		-r benchmarks/mlserver/requirements.txt

serving-bench: serving-bench-env ## The full serving benchmark, MLServer and `mlflow models serve` included
	$(RUN) python benchmarks/serving.py --mlserver-venv $(MLSERVER_VENV) $(BENCH_ARGS)

.PHONY: compiled-bench
compiled-bench: env ## The compiled one-row scorer vs ONNX Runtime on every model here: agreement, size, speed
	$(RUN) python benchmarks/compiled_scorer.py $(BENCH_ARGS)
