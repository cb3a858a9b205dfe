#!/usr/bin/python3
"""PyTorch side of the training-step timing (never run by the build).

Times one training step (forward + cross-entropy + backward + SGD Nesterov step) of the zoo's fashion-cnn or resnet8
(the same modules as scripts/torch_reference.py, which mirror src/LowBit/Nn/Zoo/FashionCnn.cs and ResNet.cs) on a fixed
random batch, at torch.set_num_threads(--threads).

    /usr/bin/python3 scripts/train_step_speed.py --model resnet8 --batch 128 --threads 2 --steps 20
        prints one JSON object: per-step wall milliseconds, the median wall and process-CPU milliseconds.
    /usr/bin/python3 scripts/train_step_speed.py --model resnet8 --serve
        reads a step count per line on stdin, answers with that many "wall/cpu" step times (ms, space-separated);
        `dotnet run -c Release --project bench/LowBit.Benchmarks -- train` drives it to interleave with LowBit's steps.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import FashionCnn, ResNet8  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="fashion-cnn", choices=["fashion-cnn", "resnet8"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = FashionCnn() if a.model == "fashion-cnn" else ResNet8()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x = torch.randn(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        """(wall ms, process CPU ms of all threads) of one step."""
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000

    for _ in range(a.warmup):
        step()
    if a.serve:
        print("ready", flush=True)
        for line in sys.stdin:
            line = line.strip()
            if not line or line == "quit":
                break
            print(" ".join(f"{w:.3f}/{c:.3f}" for w, c in (step() for _ in range(int(line)))), flush=True)
        return
    times = [step() for _ in range(a.steps)]
    wall, cpu = sorted(t[0] for t in times), sorted(t[1] for t in times)
    print(json.dumps({"model": a.model, "batch": a.batch, "threads": a.threads, "torch": torch.__version__,
                      "wall_ms": [t[0] for t in times], "median_wall_ms": wall[len(wall) // 2],
                      "median_cpu_ms": cpu[len(cpu) // 2]}))


if __name__ == "__main__":
    main()
