#!/usr/bin/python3
"""PyTorch reference for `lowbit train` (never run by the build).

The same architectures as LowBit's zoo (src/LowBit/Nn/Zoo/FashionCnn.cs, ResNet.cs): fashion-cnn and resnet8 on
Fashion-MNIST IDX files, with the same recipe (SGD Nesterov momentum 0.9, L2 5e-4 off biases/norm scales, cosine after
linear warm-up, pad-2 crop + flip), so that epoch time and accuracy can be compared side by side.

    /usr/bin/python3 scripts/torch_reference.py --model fashion-cnn --epochs 1 --threads 2
    /usr/bin/python3 scripts/torch_reference.py --model resnet8 --epochs 1 --threads 2 --batch 128 --max-steps 100

Prints one JSON object per epoch (train loss/accuracy, images/s, seconds, test top-1) on stdout.
Needs Debian's python3-torch and python3-numpy; data from dataset-fashion-mnist or --data DIR.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    assert zero == 0 and dtype == 0x08, "only uint8 IDX files"
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir, split):
    if split == "test1k":
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, "..", "assets", "fashion-mnist-test-1k")
        x, y = read_idx(os.path.join(d, "images-idx3-ubyte.gz")), read_idx(os.path.join(d, "labels-idx1-ubyte.gz"))
    else:
        prefix = "train" if split == "train" else "t10k"
        x = read_idx(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz"))
    return torch.from_numpy(x.astype(np.float32) / 255).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def conv_bn_relu(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class FashionCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(*conv_bn_relu(1, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                                      *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 64), nn.ReLU(inplace=True),
                                  nn.Dropout(0.5), nn.Linear(64, classes))

    def forward(self, x):
        return self.head(self.features(x))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet8(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn_relu(1, 16))
        self.stages = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def augment(x, gen, pad=2):
    """Zero-pad crop (offsets uniform in [-pad, pad]) and horizontal flip with probability 1/2, per image (vectorized)."""
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None].expand(n, c, h, w)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :].expand(n, c, h, w)
    out = padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="fashion-cnn", choices=["fashion-cnn", "resnet8"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--train", default="train", choices=["train", "test1k"])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--no-eval", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    xtr, ytr = load(a.data, a.train)
    xte, yte = load(a.data, "test") if a.train == "train" else (xtr, ytr)
    model = FashionCnn() if a.model == "fashion-cnn" else ResNet8()
    lr = a.lr or (0.05 if a.model == "fashion-cnn" else 0.1)
    decay = [q for n, q in model.named_parameters() if q.ndim > 1]
    no_decay = [q for n, q in model.named_parameters() if q.ndim <= 1]
    groups = [{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0}]
    opt = (torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True) if a.optimizer == "sgd"
           else torch.optim.AdamW(groups, lr=lr))
    steps = len(xtr) // a.batch if a.max_steps is None else min(a.max_steps, len(xtr) // a.batch)
    total, warm = a.epochs * steps, steps

    def lr_at(s):
        if s < warm:
            return lr * (s + 1) / warm
        return 0.5 * lr * (1 + math.cos(math.pi * min(1.0, (s - warm) / max(1, total - warm))))

    step = 0
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        loss_sum, correct, seen, t0 = 0.0, 0, 0, time.perf_counter()
        for b in range(steps):
            idx = order[b * a.batch:(b + 1) * a.batch]
            x, y = xtr[idx], ytr[idx]
            if not a.no_augment:
                x = augment(x, gen)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item()
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        seconds = time.perf_counter() - t0
        result = {"epoch": epoch + 1, "model": a.model, "threads": a.threads, "batch": a.batch, "steps": steps,
                  "train_loss": loss_sum / steps, "train_accuracy": correct / seen, "seconds": seconds,
                  "images_per_second": seen / seconds}
        if not a.no_eval:
            model.eval()
            with torch.no_grad():
                hits = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item() for i in range(0, len(xte), 500))
            result["test_top1"] = hits / len(xte)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
