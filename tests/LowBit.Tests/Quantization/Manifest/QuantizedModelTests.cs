using System.Text.Json;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Manifest;

/// <summary>Saving (model + manifest, atomically, never over the input), the manifest's content, and reloading it.</summary>
public sealed class QuantizedModelTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lowbit-qm").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Save_WritesModelAndManifestThatOrtLoads()
    {
        var f = LowBit.Nn.Zoo.ModelZoo.Build("fashion-cnn");
        var q = Quantizer.Quantize(f, new QuantizerConfig(), RandomData(f, 4));
        string path = Path.Combine(dir, "fashion.q.onnx");
        q.Save(path);
        Assert.True(File.Exists(Path.Combine(dir, "fashion.q.lowbit.json")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        using var ort = OrtRunner.FromFile(path);
        var x = RandomData(f, 1)[0];
        Assert.Equal(0, MaxAbsDiff(RunLowBit(q.Graph, x), ort.Run(x).Values.First()), 5);
        // 0.27 M float weights stored as int8: the file shrinks about 4× (biases, scales and the graph stay).
        Assert.InRange((double)OnnxExporter.ToBytes(f).Length / new FileInfo(path).Length, 3.5, 4.0);
    }

    [Fact]
    public void Manifest_ListsEveryQuantizedTensorWithItsParameters()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(reduceRange: false), RandomData(f, 4));
        q.Save(Path.Combine(dir, "m.onnx"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "m.lowbit.json")));
        var root = doc.RootElement;
        Assert.Equal("lowbit-quant/1", root.GetProperty("format").GetString());
        Assert.Equal(4, root.GetProperty("calibration").GetProperty("samples").GetInt32());
        Assert.Equal("minmax", root.GetProperty("calibration").GetProperty("observer").GetString());
        Assert.Equal("static", root.GetProperty("config").GetProperty("mode").GetString());
        Assert.False(root.GetProperty("cpu").GetProperty("reduceRange").GetBoolean());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        var w = tensors.Single(t => t.GetProperty("name").GetString() == "conv2.weight");
        Assert.Equal("weight", w.GetProperty("kind").GetString());
        Assert.Equal("int8", w.GetProperty("format").GetString());
        Assert.Equal(0, w.GetProperty("axis").GetInt32());
        Assert.Equal(8, w.GetProperty("scales").GetArrayLength());
        Assert.Equal(8, w.GetProperty("zeroPoints").GetArrayLength());
        var a = tensors.Single(t => t.GetProperty("name").GetString() == "relu2");
        Assert.Equal("activation", a.GetProperty("kind").GetString());
        Assert.Equal(2, a.GetProperty("range").GetArrayLength());
        Assert.Equal(0, a.GetProperty("range")[0].GetSingle());  // post-Relu
        Assert.Contains(tensors, t => t.GetProperty("kind").GetString() == "bias" && t.GetProperty("format").GetString() == "int32");
        var kinds = tensors.GroupBy(t => t.GetProperty("kind").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["activation"] = 9, ["weight"] = 4, ["bias"] = 4 }, kinds);
        Assert.True(root.GetProperty("export").GetProperty("initializerBytes").GetInt64() < root.GetProperty("source").GetProperty("initializerBytes").GetInt64() / 2);
    }

    [Fact]
    public void Save_OverInput_Refused()
    {
        string input = Path.Combine(dir, "model.onnx");
        var f = Mlp();
        OnnxExporter.Save(f, input);
        byte[] before = File.ReadAllBytes(input);
        var q = Quantizer.QuantizeFile(input, new QuantizerConfig(QuantMode.Dynamic));
        var e = Assert.Throws<LowBitException>(() => q.Save(Path.Combine(dir, ".", "model.onnx")));
        Assert.Equal(ErrorKind.UnsafePath, e.Kind);
        Assert.Equal(before, File.ReadAllBytes(input));
        Assert.False(File.Exists(Path.Combine(dir, "model.lowbit.json")));
        var q2 = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        Assert.Throws<LowBitException>(() => q2.Save(input, inputPath: input));
    }

    public static TheoryData<string> Modes() => new() { "static", "static-recipe", "weight-only", "weight-only-int8", "dynamic" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Load_ManifestReappliedToFloatModel_SameGraph(string mode)
    {
        var f = mode.StartsWith("weight-only") ? LowBit.Nn.Zoo.ModelZoo.Build("fashion-cnn") : ConvNet();
        var config = mode switch
        {
            "static" => new QuantizerConfig(),
            "static-recipe" => new QuantizerConfig(recipe: QuantRecipe.Parse("""
                { "nodes": { "conv2": { "weights": { "format": "int4", "granularity": "group:16" } }, "conv3": "float" } }
                """)),
            "weight-only" => new QuantizerConfig(QuantMode.WeightOnly),
            "weight-only-int8" => new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel),
            _ => new QuantizerConfig(QuantMode.Dynamic),
        };
        var q = Quantizer.Quantize(f, config, mode.StartsWith("static") ? RandomData(f, 4) : null);
        string path = Path.Combine(dir, "m.onnx");
        q.Save(path);
        var reloaded = QuantizedModel.Load(QuantizedModel.ManifestPathFor(path), f);
        Assert.Equal(OnnxExporter.ToBytes(q.Graph), OnnxExporter.ToBytes(reloaded.Graph));
        if (mode == "weight-only")
            Assert.Contains(q.Manifest.Tensors, t => t.Kind == "weight" && t.Scales is null);  // > 4096 scales: hash only
    }

    [Fact]
    public void Load_DifferentFloatModel_Refused()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        q.Save(Path.Combine(dir, "m.onnx"));
        var e = Assert.Throws<LowBitException>(() => QuantizedModel.Load(Path.Combine(dir, "m.lowbit.json"), ConvNet(seed: 99)));
        Assert.Contains("was made from a different model", e.Message);
    }

    [Fact]
    public void Load_TamperedScale_Refused()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel));
        var tensors = q.Manifest.Tensors.ToList();
        var t = tensors[0];
        var scales = (float[])t.Scales!.Clone();
        scales[0] *= 2;
        tensors[0] = t with { Scales = scales };
        var e = Assert.Throws<LowBitException>(() => QuantizedModel.Apply(q.Manifest with { Tensors = tensors }, f));
        Assert.Contains("gets different scales when re-applied", e.Message);
    }
}
