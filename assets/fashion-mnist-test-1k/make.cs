// Regenerates this folder: dotnet run assets/fashion-mnist-test-1k/make.cs [SOURCE_DIR]
// SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
#:project ../../src/LowBit/LowBit.csproj
using LowBit.Data;

string source = args.Length > 0 ? args[0] : FashionMnist.DefaultDirectory;
string output = Path.GetDirectoryName(Path.GetFullPath(AppContext.GetData("EntryPointFilePath") as string ?? "assets/fashion-mnist-test-1k/make.cs"))!;
FashionMnist.WriteStratifiedSubset(source, output);
var subset = FashionMnist.OpenSubset(output);
Console.WriteLine($"wrote {subset} to {output}");
