// Regenerates mean-bgr-224.f16.gz: dotnet run assets/resnet-preprocess-mean/make.cs PATH/TO/ResNetPreprocess.onnx
// (from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1: tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx).
#:project ../../src/LowBit/LowBit.csproj
using LowBit.Data;

if (args.Length != 1) { Console.Error.WriteLine("usage: dotnet run make.cs ResNetPreprocess.onnx"); return 2; }
string dir = Path.GetDirectoryName(Path.GetFullPath(AppContext.GetData("EntryPointFilePath") as string ?? "assets/resnet-preprocess-mean/make.cs"))!;
string output = Path.Combine(dir, "mean-bgr-224.f16.gz");
ImagePresets.WriteBgrMeanResource(args[0], output);
Console.WriteLine($"wrote {output}");
return 0;
