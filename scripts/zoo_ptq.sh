#!/bin/bash
# Quantized accuracy of trained zoo classifiers on the Fashion-MNIST test split (docs/results.md): each model in FP32
# and four schemes, calibrated on 512 training images, the exported files evaluated in ONNX Runtime on all 10,000 test
# images. Prints one Markdown table row per model. Never run by the build.
#
#   scripts/zoo_ptq.sh LOWBIT_BINARY NAME=MODEL.onnx [NAME=MODEL.onnx ...]
#
# Needs the Debian package dataset-fashion-mnist and a Release build of the CLI (dotnet build -c Release src/LowBit.Cli).
set -euo pipefail
LOWBIT=$1; shift
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CALIB=(--calib-data fashion-mnist:train --calib-samples 512)

top1() {  # top-1 in percent of MODEL on the test split, in ONNX Runtime
  "$LOWBIT" eval "$1" --dataset fashion-mnist:test --engine ort --json \
    | /usr/bin/python3 -c 'import json,sys; print("%.2f" % (100 * json.load(sys.stdin)["classification"]["top1"]))'
}

echo "| model | FP32 | W8A8 per-channel | W8A8 per-tensor | W4A8 per-channel | W4 weight-only (group 32) |"
echo "|---|---|---|---|---|---|"
for arg in "$@"; do
  name=${arg%%=*}; model=${arg#*=}
  fp=$(top1 "$model")
  row="| $name | $fp %"
  while read -r label flags; do
    # shellcheck disable=SC2086
    "$LOWBIT" quantize "$model" --out "$WORK/$name.q.onnx" $flags > /dev/null
    q=$(top1 "$WORK/$name.q.onnx")
    row+=" | $q % ($(/usr/bin/python3 -c "print(f'{$q - $fp:+.2f}')"))"
  done <<EOF
w8a8 ${CALIB[*]}
w8a8t ${CALIB[*]} --granularity per-tensor
w4a8 ${CALIB[*]} --weights int4
w4 --weights int4 --granularity group:32 --activations none
EOF
  echo "$row |"
done
