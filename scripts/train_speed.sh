#!/bin/bash
# Training speed, LowBit vs PyTorch, same architecture, same data, same recipe, 2 threads (docs/benchmarks.md).
# Alternates the two engines REPEATS times per model so that machine drift hits both alike; prints one line per run
# (model, engine, images/s) and the medians. Never run by the build.
#
#   scripts/train_speed.sh [LOWBIT_BINARY] [STEPS] [REPEATS]
#
# LOWBIT_BINARY: a Release build of the CLI (dotnet build -c Release src/LowBit.Cli), default `lowbit` on PATH.
# STEPS: training steps of batch 128 per run (default 100; 468 is one Fashion-MNIST epoch).
set -euo pipefail
LOWBIT=${1:-lowbit}
STEPS=${2:-100}
REPEATS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for model in fashion-cnn resnet8; do
  lb=(); pt=()
  for r in $(seq "$REPEATS"); do
    v=$("$LOWBIT" train "$model" --dataset fashion-mnist --validation none --epochs 1 --max-steps "$STEPS" --batch 128 \
          --threads 2 --seed 1 --checkpoint-dir none --out "$TMP/m.onnx" --json 2>/dev/null \
        | /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["epochs"][0]["samples_per_second"], 1))')
    echo "$model lowbit run $r: $v images/s"; lb+=("$v")
    v=$(/usr/bin/python3 "$HERE/torch_reference.py" --model "$model" --epochs 1 --max-steps "$STEPS" --batch 128 --threads 2 \
          --seed 1 --no-eval | /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["images_per_second"], 1))')
    echo "$model pytorch run $r: $v images/s"; pt+=("$v")
  done
  /usr/bin/python3 - "$model" "${lb[*]}" "${pt[*]}" <<'EOF'
import statistics, sys
model, lb, pt = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
l, p = statistics.median(lb), statistics.median(pt)
print(f"{model}: median LowBit {l:.1f} images/s, PyTorch {p:.1f} images/s, "
      f"epoch time LowBit/PyTorch = {p / l:.2f}")
EOF
done
