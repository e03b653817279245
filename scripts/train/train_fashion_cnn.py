"""Trains the built-in Fashion-MNIST CNN (models/fashion-mnist-cnn.onnx) in PyTorch and writes its weights as a
snapshot for the TypeScript export, which builds the ONNX graph, checks it and writes the sidecar:

  python3 scripts/train/train_fashion_cnn.py [--holdout N]
  npx tsc -p tsconfig.json && node build/scripts/train/train-fashion-mnist.js

The architecture is FASHION_MNIST_CNN of cnn-spec.ts (same layers, same names); only the training runs here,
because PyTorch trains it in minutes where tf.js on the CPU took 12 minutes an epoch. The snapshot
(build/train-cache/fashion-mnist-cnn.weights.json, the format of weights-snapshot.ts) holds the kernels in
tf.js's layouts: convs HWIO, denses [in, out], the first dense's rows in (h, w, c) order. --holdout N trains on
all but the last N training images and reports the accuracy on those N after each epoch (to choose settings
without looking at the test set); the built-in model is trained with --holdout 0. Development only (torch from
the local pip mirror; nap never runs Python).
"""

import argparse
import base64
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vit"))
import tiny_vit  # noqa: E402  (the Fashion-MNIST reader, shift augmentation and training loop)

SEED = 7
EPOCHS = 12
BATCH_SIZE = 128
LEARNING_RATE = 2e-3
MAX_SHIFT = 1
SNAPSHOT = os.path.join(tiny_vit.ROOT, "build", "train-cache", "fashion-mnist-cnn.weights.json")


class FashionCnn(nn.Module):
    """conv1 32 3x3, pool1, conv2 64 3x3, pool2, conv3 64 3x3, flatten, dense 64, logits 10 (ReLU after each
    conv and after dense), as FASHION_MNIST_CNN."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.dense = nn.Linear(64 * 3 * 3, 64)
        self.logits = nn.Linear(64, 10)
        for layer in (self.conv1, self.conv2, self.conv3, self.dense, self.logits):
            nn.init.xavier_uniform_(layer.weight)  # Glorot uniform, zero bias: the tf.js trainer's start
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.conv3(x)).flatten(1)
        return self.logits(torch.relu(self.dense(x)))


def tensor_entry(values):
    values = np.ascontiguousarray(values, dtype="<f4")
    return {"shape": list(values.shape), "float32Base64": base64.b64encode(values.tobytes()).decode("ascii")}


def snapshot_layers(model):
    """PyTorch layouts -> tf.js layouts: conv OIHW -> HWIO, dense [out, in] -> [in, out], and the first dense's
    inputs from PyTorch's (c, h, w) flattening to tf.js's (h, w, c)."""
    layers = {}
    for name in ("conv1", "conv2", "conv3"):
        layer = getattr(model, name)
        layers[name] = {
            "kernel": tensor_entry(layer.weight.detach().numpy().transpose(2, 3, 1, 0)),
            "bias": tensor_entry(layer.bias.detach().numpy()),
        }
    dense = model.dense.weight.detach().numpy().reshape(64, 64, 3, 3)  # [units, c, h, w]
    layers["dense"] = {
        "kernel": tensor_entry(dense.transpose(2, 3, 1, 0).reshape(3 * 3 * 64, 64)),
        "bias": tensor_entry(model.dense.bias.detach().numpy()),
    }
    layers["logits"] = {
        "kernel": tensor_entry(model.logits.weight.detach().numpy().T),
        "bias": tensor_entry(model.logits.bias.detach().numpy()),
    }
    return layers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--holdout", type=int, default=0)
    holdout = parser.parse_args().holdout
    torch.manual_seed(SEED)
    # One thread: on a busy 2-core machine two intra-op threads made steps many times slower (see train_vit.py).
    torch.set_num_threads(1)
    (train_x, train_y), _ = tiny_vit.fashion_mnist()
    kept = len(train_x) - holdout
    held_x, held_y = train_x[kept:], train_y[kept:]
    model = FashionCnn()

    def log(line):
        if holdout:
            accuracy = float((tiny_vit.predict(model, held_x).argmax(1) == held_y).mean())
            model.train()
            line += f", held-out accuracy {accuracy:.4f} on the last {holdout} training images"
        print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)

    started_cpu, started = time.process_time(), time.time()
    tiny_vit.train(model, (train_x[:kept], train_y[:kept]), EPOCHS, batch_size=BATCH_SIZE, lr=LEARNING_RATE,
                   max_shift=MAX_SHIFT, seed=SEED, log=log)
    cpu_seconds, seconds = time.process_time() - started_cpu, time.time() - started
    print(f"trained in {seconds:.0f} s wall, {cpu_seconds:.0f} s CPU", flush=True)
    if holdout:
        return
    training = {
        "seed": SEED,
        "epochs": EPOCHS,
        "batchSize": BATCH_SIZE,
        "trainSamples": kept,
        "optimizer": f"AdamW, weight decay 0.05, one-cycle learning rate up to {LEARNING_RATE}, softmax cross-entropy",
        "augmentation": f"random shifts of up to {MAX_SHIFT} pixels along each axis, zero fill",
        "trainSeconds": round(cpu_seconds),
        "trainedWith": f"PyTorch {torch.__version__} (CPU, 1 thread), Python {platform.python_version()}, "
                       "via scripts/train/train_fashion_cnn.py",
        "trainedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    os.makedirs(os.path.dirname(SNAPSHOT), exist_ok=True)
    with open(SNAPSHOT, "w") as f:
        json.dump({"model": "fashion-mnist-cnn", "training": training, "layers": snapshot_layers(model)}, f)
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    main()
