#!/usr/bin/python3
"""Trains a small Fashion-MNIST classifier in PyTorch (Debian python3-torch 1.13) and exports it to ONNX: a model
LowBit did not build (torch's exporter, its op choices and names) for `lowbit qat` and `lowbit quantize` checks.

    /usr/bin/python3 scripts/torch_fashion_classifier.py OUT.onnx [EPOCHS]

Inputs as LowBit's fashion-mnist spec gives them: [N, 1, 28, 28] float32 in [0, 1] (pixels / 255). The build never runs
this; docs/results.md records the figures it produced.
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist/"


def idx(name, offset):
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def split(kind):
    x = idx(f"{kind}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = idx(f"{kind}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Net(nn.Module):
    """Strided convolutions (no pooling layers), BatchNorm, global average pooling, a dropout head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(block(1, 24, 1), block(24, 48, 2), block(48, 48, 1), block(48, 96, 2), block(96, 96, 1))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(96, 10))

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3), keepdim=True))


def main():
    out = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.manual_seed(1)
    torch.set_num_threads(2)
    xtr, ytr = split("train")
    xte, yte = split("t10k")
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * (len(xtr) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        for i in range(len(xtr) // 128):
            b = perm[i * 128:(i + 1) * 128]
            loss = nn.functional.cross_entropy(net(xtr[b]), ytr[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            correct = sum((net(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item() for i in range(0, len(xte), 500))
        print(f"epoch {epoch + 1}: test top-1 {correct / len(xte):.4f}", flush=True)
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", out)


if __name__ == "__main__":
    main()
