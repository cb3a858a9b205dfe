#!/bin/bash
# ResNet18 post-training quantization measurements of docs/results.md: W8A8 calibrated on random crops of natural
# photos, fidelity against FP32 on held-out crops of other photos measured in ONNX Runtime, quantize wall time and
# peak memory, file sizes (W8A8, W4 weight-only), ONNX Runtime latency W8A8 / FP32 side by side. Never run by the build.
#
#   scripts/resnet18_ptq.sh LOWBIT_BINARY [WORK_DIR]
#
# Needs: Debian python3-skimage and python3-sklearn (their sample photos), the ResNet18 NuGet package restored
# (dotnet restore bench/LowBit.Benchmarks), a Release build of the CLI (dotnet build -c Release src/LowBit.Cli).
set -euo pipefail
LOWBIT=$1
WORK=${2:-/tmp/resnet18-ptq}
HERE=$(cd "$(dirname "$0")" && pwd)
MODEL=${RESNET18:-$HOME/.nuget/packages/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx}
SK=/usr/lib/python3/dist-packages/skimage/data
SL=/usr/lib/python3/dist-packages/sklearn/datasets/images
mkdir -p "$WORK/calib" "$WORK/heldout"
# Two disjoint sets of photos: calibration crops never come from a held-out photo.
for f in astronaut.png coffee.png motorcycle_left.png rocket.jpg camera.png grass.png ihc.png brick.png; do cp "$SK/$f" "$WORK/calib/"; done
cp "$SL/china.jpg" "$WORK/calib/"
for f in chelsea.png hubble_deep_field.jpg retina.jpg coins.png gravel.png moon.png page.png; do cp "$SK/$f" "$WORK/heldout/"; done
cp "$SL/flower.jpg" "$WORK/heldout/"
CALIB="images=$WORK/calib,preset=imagenet-bgr-mean,size=224,crops=256,seed=1"
HELD="images=$WORK/heldout,preset=imagenet-bgr-mean,size=224,crops=128,seed=2"
cd "$WORK"

echo "== quantize W8A8 (defaults for this CPU), 256 calibration crops"
/usr/bin/time -v "$LOWBIT" quantize "$MODEL" --out r18.w8a8.onnx --calib-data "$CALIB" --calib-samples 256 \
  --report r18-report 2> quantize.time.txt | tee quantize.txt
grep -E "Elapsed|Maximum resident" quantize.time.txt

echo "== fidelity on 128 held-out crops, exported file in ONNX Runtime"
"$LOWBIT" eval r18.w8a8.onnx --reference "$MODEL" --data "$HELD" --engine ort | tee eval.w8a8.txt

echo "== ORT-style baseline: min-max calibration, full-range 8-bit weights"
"$LOWBIT" quantize "$MODEL" --out r18.minmax.onnx --calib-data "$CALIB" --calib-samples 256 --calibration minmax \
  --reduce-range false > /dev/null
"$LOWBIT" eval r18.minmax.onnx --reference "$MODEL" --data "$HELD" --engine ort | tee eval.minmax.txt

echo "== W4 weight-only"
"$LOWBIT" quantize "$MODEL" --out r18.w4.onnx --weights int4 --granularity group:32 --activations none | tail -n 3
"$LOWBIT" eval r18.w4.onnx --reference "$MODEL" --data "$HELD" --engine ort | tee eval.w4.txt

echo "== file sizes (bytes)"
stat -c '%s %n' "$MODEL" r18.w8a8.onnx r18.minmax.onnx r18.w4.onnx

echo "== ONNX Runtime latency, batch 1, 2 threads, interleaved"
dotnet run -c Release --project "$HERE/../bench/LowBit.Benchmarks" -- ort-pair "$MODEL" r18.w8a8.onnx --threads 2 --rounds 15
