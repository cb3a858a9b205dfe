using BenchmarkDotNet.Running;
using LowBit.Benchmarks;

// `dotnet run -c Release -- resnet [options]` runs the interleaved ResNet18 LowBit/ONNX Runtime timing;
// anything else goes to BenchmarkDotNet (e.g. `-- --filter *Sgemm*`).
if (args.Length > 0 && args[0] == "resnet") return ResNetSideBySide.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
