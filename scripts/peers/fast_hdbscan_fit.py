"""Fits fast_hdbscan (the HDBSCAN* peer of scripts/bench-hdbscan.ts) on raw float32 matrices.

Development only: run by the benchmark with the interpreter named by NAP_PEER_PYTHON (or
--peer-python), never by the product or its tests. Reads requests as JSON lines on stdin:
  {"file": "rows.f32", "rows": N, "dims": D, "labels": "labels.i32"}
fits HDBSCAN(min_cluster_size=5, min_samples=5, cluster_selection_method="leaf") with its default
algorithm, writes the labels as int32 to "labels", and answers one JSON line per request:
  {"seconds": fit wall seconds, "cpuSeconds": CPU seconds of all the process's threads}
The first line it prints, {"ready": true, "version": ..., "warmupSeconds": ...}, comes after a
warm-up fit on both of its code paths (KD-tree below 31 dimensions, pynndescent above), so that
numba's JIT compilation is not counted in any fit.
"""

import importlib.metadata
import json
import sys
import time

import numpy as np


def fit(hdbscan_class, rows):
    model = hdbscan_class(min_cluster_size=5, min_samples=5, cluster_selection_method="leaf")
    start = time.perf_counter()
    cpu = time.process_time()
    model.fit(rows)
    return time.perf_counter() - start, time.process_time() - cpu, model.labels_


def main():

    from fast_hdbscan import HDBSCAN

    start = time.perf_counter()
    generator = np.random.default_rng(0)
    for dims in (8, 64):
        for rows in (500, 2000):
            fit(HDBSCAN, generator.random((rows, dims), dtype=np.float32))
    warmup = time.perf_counter() - start
    version = importlib.metadata.version("fast_hdbscan")
    print(json.dumps({"ready": True, "version": version, "warmupSeconds": warmup}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        rows = np.fromfile(request["file"], dtype="<f4").reshape(request["rows"], request["dims"])
        seconds, cpu_seconds, labels = fit(HDBSCAN, rows)
        labels.astype("<i4").tofile(request["labels"])
        print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds}), flush=True)


if __name__ == "__main__":
    main()
