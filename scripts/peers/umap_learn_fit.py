"""Fits umap-learn on float32 matrices for scripts/bench-umap-layers.ts (development only: never a product dependency).

Usage: python umap_learn_fit.py OUT_DIR [--seeded] [--runs N] NAME:PATH:ROWS:DIM ...
Each PATH holds ROWS x DIM float32 values, row-major. First a fit on random data compiles umap-learn's and
pynndescent's numba code (the JIT, 20-45 s per process, is not counted); then each matrix is fitted with
n_neighbors 15, min_dist 0.1 and umap-learn's default epochs (200 above 10,000 rows), on every core
(random_state None) or, with --seeded, seeded (random_state 42, which makes umap-learn single-threaded).
With --runs N every matrix is fitted N times (all matrices once, then again: load drift spreads over
them alike); unseeded runs differ, seeded ones repeat. Writes OUT_DIR/NAME.RUN.layout.f32 (ROWS x 2) and
OUT_DIR/NAME.RUN.knn.i32 (ROWS x 15, umap-learn's neighbour indices), RUN counting from 0, and prints one
JSON line per fit: name, run, wall seconds, CPU seconds (all threads).
"""
import json
import os
import sys
import time

import numpy as np
import umap

out_dir = sys.argv[1]
seeded = "--seeded" in sys.argv[2:]
options = sys.argv[2:]
runs = int(options[options.index("--runs") + 1]) if "--runs" in options else 1
specs = [arg for arg in options if ":" in arg]


def reducer():
    if seeded:
        return umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=42)
    return umap.UMAP(n_neighbors=15, min_dist=0.1, n_jobs=-1)


# Warm-up: above 4,096 rows umap-learn searches neighbours with pynndescent, so both paths compile.
reducer().fit_transform(np.random.default_rng(0).random((5000, 8), dtype=np.float32))
print(json.dumps({"warmup": True, "threads": os.cpu_count()}), flush=True)

matrices = []
for spec in specs:
    name, path, rows, dim = spec.split(":")
    matrices.append((name, np.fromfile(path, dtype=np.float32).reshape(int(rows), int(dim))))

for run in range(runs):
    for name, data in matrices:
        model = reducer()
        wall = time.perf_counter()
        cpu = time.process_time()
        layout = model.fit_transform(data)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        layout.astype(np.float32).tofile(os.path.join(out_dir, f"{name}.{run}.layout.f32"))
        np.asarray(model._knn_indices, dtype=np.int32).tofile(os.path.join(out_dir, f"{name}.{run}.knn.i32"))
        print(json.dumps({"name": name, "run": run, "seconds": wall, "cpuSeconds": cpu}), flush=True)
