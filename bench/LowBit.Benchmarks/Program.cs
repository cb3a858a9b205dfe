using BenchmarkDotNet.Running;
using LowBit.Benchmarks;

// `dotnet run -c Release -- resnet [options]` runs the interleaved ResNet18 LowBit/ONNX Runtime timing;
// anything else goes to BenchmarkDotNet (e.g. `-- --filter *Sgemm*`).
if (args.Length > 0 && args[0] == "resnet") return ResNetSideBySide.Run(args[1..]);
// `-- train [options]` interleaves zoo training steps in LowBit and PyTorch (scripts/train_step_speed.py); `--profile` per op.
if (args.Length > 0 && args[0] == "train") return TrainingSideBySide.Run(args[1..]);
// `-- quant [weight-only|schemes]` measures the quantizer's ONNX Runtime-dependent choices (docs/quantization.md).
// `-- ort-pair A.onnx B.onnx` times two files in ONNX Runtime interleaved (a quantized export against its original).
if (args.Length > 0 && args[0] == "ort-pair") return OrtPairSideBySide.Run(args[1..]);
if (args.Length > 0 && args[0] == "quant") return QuantKernelChoices.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
