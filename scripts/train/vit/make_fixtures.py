"""Writes the small test fixtures of token layers, non-image data and tokenizers (all committed):

  test/fixtures/vit/tiny-deit.{torchscript,dynamo}.onnx  one tiny DeiT-like ViT (CLS + distillation token, 4x4
                                                         patches of 7x7 pixels, 2 blocks, width 16), trained
                                                         briefly on MNIST, exported by torch.onnx's older
                                                         TorchScript exporter and by its default dynamo exporter
  test/fixtures/vit/tiny-deit.reference.json             PyTorch's logits and block outputs for 4 held-out digits
  test/fixtures/text/tiny-text.onnx                      a one-block text transformer with int64 input_ids and
                                                         attention_mask inputs (mean over unmasked tokens)
  test/fixtures/text/{wordpiece,bpe}/tokenizer.json      two small tokenizers trained by the `tokenizers` library
  test/fixtures/text/tokenized.json                      the ids that library gives for some sentences
  test/fixtures/text/sentences.csv                       labelled sentences for the text model
  test/fixtures/text/tiny-bert.onnx                      a 2-layer BERT encoder of the transformers library (random
                                                         weights), input_ids, attention_mask and token_type_ids;
                                                         tiny-bert.reference.json: PyTorch's output for 2 sentences
  test/fixtures/npy/*                                    arrays written by numpy (many dtypes, orders, versions)
                                                         and npz archives, with their values in expected.json;
                                                         string arrays (labels) in expected-text.json

  python scripts/train/vit/make_fixtures.py [npy|bert]   (torch, onnx, onnxscript, onnxruntime, tokenizers, transformers, numpy)
"""

import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import tiny_vit  # noqa: E402

FIXTURES = os.path.join(tiny_vit.ROOT, "test", "fixtures")


def vit_fixtures():
    out = os.path.join(FIXTURES, "vit")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    (train_x, train_y), (test_x, _) = tiny_vit.mnist_digits()
    model = tiny_vit.TinyViT(patch=7, dim=16, depth=2, heads=2, hidden=32, distillation=True)
    tiny_vit.train(model, (train_x[::4], train_y[::4]), epochs=3, seed=0)
    for exporter, dynamo in (("torchscript", False), ("dynamo", True)):
        path = os.path.join(out, f"tiny-deit.{exporter}.onnx")
        tiny_vit.export(model, path, dynamo=dynamo)
        difference = np.abs(tiny_vit.onnx_outputs(path, test_x[:50]) - tiny_vit.predict(model, test_x[:50])).max()
        assert difference < 1e-4, f"{exporter}: {difference}"
    # Reference outputs: the logits and each block's output tokens for 4 held-out digits (mnist items).
    blocks = []
    hooks = [block.register_forward_hook(lambda _m, _i, output: blocks.append(output)) for block in model.blocks]
    rows = list(range(4))
    with torch.no_grad():
        logits = model(torch.from_numpy(test_x[rows]))
    for hook in hooks:
        hook.remove()
    reference = {
        "heldOutRows": rows,
        "logits": logits.numpy().round(5).tolist(),
        "blockOutputs": [b.numpy().round(5).tolist() for b in blocks],
        "tokens": 18,
        "prefixTokens": 2,
        "grid": [4, 4],
        "width": 16,
    }
    with open(os.path.join(out, "tiny-deit.reference.json"), "w") as f:
        json.dump(reference, f)


class TinyText(nn.Module):
    """Token + position embeddings, one post-norm encoder block with a padding mask, a head on token 0."""

    def __init__(self, vocab, length=16, dim=16, heads=2, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, input_ids, attention_mask):
        n, t = input_ids.shape
        x = self.embed(input_ids) + self.pos[:, :t]
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-2, -1)) / (q.shape[-1] ** 0.5)
        hide = (1 - attention_mask[:, None, None, :].to(scores.dtype)) * -1e4
        attended = (torch.softmax(scores + hide, dim=-1) @ v).transpose(1, 2).reshape(n, t, -1)
        x = self.norm1(x + self.proj(attended))
        x = self.norm2(x + self.fc2(torch.relu(self.fc1(x))))
        return self.head(x[:, 0])


SENTENCES = [
    ("the cat sat on the mat", "animal"),
    ("a dog ran in the park", "animal"),
    ("the bird sings a song", "animal"),
    ("cats and dogs play together", "animal"),
    ("the horse eats hay in the barn", "animal"),
    ("a small mouse hides", "animal"),
    ("the stock market fell today", "money"),
    ("banks raise interest rates", "money"),
    ("the price of gold went up", "money"),
    ("investors sold their shares", "money"),
    ("the company reported profits", "money"),
    ("taxes rise next year", "money"),
]
EXTRA_TEXT = ["Hello, world! Tokenizers split words into pieces.", "unbelievable résumé naïve café 123"]


def text_fixtures():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers, decoders

    out = os.path.join(FIXTURES, "text")
    corpus = [s for s, _ in SENTENCES] + EXTRA_TEXT
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.decoder = decoders.WordPiece()
    wordpiece.train_from_iterator(corpus, trainers.WordPieceTrainer(
        vocab_size=120, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", wordpiece.token_to_id("[CLS]")), ("[SEP]", wordpiece.token_to_id("[SEP]"))])
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenized = {}
    for name, tokenizer in (("wordpiece", wordpiece), ("bpe", bpe)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        tokenizer.save(os.path.join(out, name, "tokenizer.json"))
        texts = corpus[:4] + EXTRA_TEXT
        tokenized[name] = [{"text": text, "ids": tokenizer.encode(text).ids} for text in texts]
    with open(os.path.join(out, "tokenized.json"), "w") as f:
        json.dump(tokenized, f, indent=1, ensure_ascii=False)

    with open(os.path.join(out, "sentences.csv"), "w") as f:
        f.write("text,label\n")
        for sentence, label in SENTENCES:
            f.write(f"{sentence},{label}\n")

    torch.manual_seed(1)
    vocab = wordpiece.get_vocab_size()
    model = TinyText(vocab).eval()
    example = (torch.zeros(2, 16, dtype=torch.int64), torch.ones(2, 16, dtype=torch.int64))
    torch.onnx.export(model, example, os.path.join(out, "tiny-text.onnx"), dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
                      opset_version=17)


def bert_fixture():
    """A BERT encoder from the transformers library (random weights, 2 layers, width 16) on the committed
    WordPiece vocabulary, exported by torch.onnx's older exporter with its three integer inputs, and
    PyTorch's last hidden state for two tokenized sentences."""
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertModel

    out = os.path.join(FIXTURES, "text")
    tokenizer = Tokenizer.from_file(os.path.join(out, "wordpiece", "tokenizer.json"))
    torch.manual_seed(3)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
                        attn_implementation="eager")
    model = BertModel(config).eval()
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]", length=16)
    encodings = tokenizer.encode_batch([SENTENCES[0][0], SENTENCES[7][0]])
    feeds = {name: torch.tensor([getattr(e, attr) for e in encodings], dtype=torch.int64)
             for name, attr in (("input_ids", "ids"), ("attention_mask", "attention_mask"),
                                ("token_type_ids", "type_ids"))}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {name: {0: "batch", 1: "sequence"} for name in names}
    dynamic["last_hidden_state"] = {0: "batch", 1: "sequence"}
    dynamic["pooler_output"] = {0: "batch"}
    class Encoder(nn.Module):  # positional inputs for the tracer; the module paths stay bert.encoder.layer.N
        def __init__(self):
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            result = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return result.last_hidden_state, result.pooler_output

    torch.onnx.export(Encoder().eval(), tuple(feeds[name] for name in names), os.path.join(out, "tiny-bert.onnx"),
                      dynamo=False, input_names=names, output_names=["last_hidden_state", "pooler_output"],
                      dynamic_axes=dynamic, opset_version=17)
    with torch.no_grad():
        hidden = model(**feeds).last_hidden_state
    reference = {name: feeds[name].tolist() for name in names}
    reference["lastHiddenState"] = hidden.tolist()
    with open(os.path.join(out, "tiny-bert.reference.json"), "w") as f:
        json.dump(reference, f)


def npy_fixtures():
    out = os.path.join(FIXTURES, "npy")
    os.makedirs(out, exist_ok=True)
    base = np.arange(-3, 3).reshape(2, 3)
    arrays = {
        "f4": (base / 4).astype("<f4"),
        "f8": (base / 3).astype("<f8"),
        "f2": (base / 8).astype("<f2"),
        "f4-big-endian": (base / 4).astype(">f4"),
        "i8": (base * 1_000_000_007).astype("<i8"),
        "i4": (base * 70_000).astype("<i4"),
        "i2": (base * 300).astype("<i2"),
        "i1": base.astype("|i1"),
        "u1": (base + 3).astype("|u1"),
        "u2": (base + 3).astype("<u2") * 1000,
        "b1": (base > 0),
        "fortran-f4": np.asfortranarray((np.arange(24).reshape(2, 3, 4) / 2).astype("<f4")),
        "vector-f4": np.linspace(0, 1, 5).astype("<f4"),
    }
    expected = {}
    for name, array in arrays.items():
        np.save(os.path.join(out, f"{name}.npy"), array)
        expected[name] = {"descr": array.dtype.str, "shape": list(array.shape),
                          "values": array.astype(np.float64).ravel(order="C").tolist()}
    with open(os.path.join(out, "v2-f4.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["f4"], version=(2, 0))
    expected["v2-f4"] = dict(expected["f4"])
    np.savez(os.path.join(out, "pair.npz"), x=arrays["f4"], labels=np.array([3, 7]))
    np.savez_compressed(os.path.join(out, "pair-compressed.npz"), x=arrays["f4"], labels=np.array([3, 7]))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    # String arrays, as labels are often saved: unicode (both byte orders) and bytes, and an npz holding them.
    texts = {
        "labels-U": np.array(["cat", "dög", "鳥", ""]),
        "labels-U-big-endian": np.array(["cat", "dög", "鳥", ""]).astype(">U3"),
        "labels-S": np.array([b"cat", b"dog", b"", b"bird"]),
    }
    expected_text = {}
    for name, array in texts.items():
        np.save(os.path.join(out, f"{name}.npy"), array)
        expected_text[name] = {"descr": array.dtype.str, "values": [
            v.decode() if isinstance(v, bytes) else str(v) for v in array.tolist()]}
    np.savez(os.path.join(out, "text-labels.npz"), x=arrays["f4"], label=np.array(["zero", "one"]))
    with open(os.path.join(out, "expected-text.json"), "w") as f:
        json.dump(expected_text, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    # `npy` or `bert` alone rewrites only those files (the other models depend on torch's version).
    if sys.argv[1:] == ["bert"]:
        bert_fixture()
    else:
        npy_fixtures()
    if sys.argv[1:] not in (["npy"], ["bert"]):
        text_fixtures()
        bert_fixture()
        vit_fixtures()
