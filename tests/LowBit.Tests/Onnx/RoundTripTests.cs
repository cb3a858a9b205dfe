using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx;

/// <summary>A fact skipped, with the reason, unless NuGet restored the ResNet18 package (it is whenever the tests build).</summary>
public sealed class RequiresResNet18FactAttribute : FactAttribute
{
    public RequiresResNet18FactAttribute()
    {
        if (!File.Exists(RealModels.ResNet18)) Skip = $"{RealModels.ResNet18} is missing; run dotnet restore tests/LowBit.Tests";
    }
}

/// <summary>
/// import → export must not change what a model computes: ONNX Runtime runs the original file and the re-exported
/// bytes, and every output must be bit-identical (same runtime, same graph, so any difference is an export bug).
/// </summary>
public class RoundTripTests
{
    /// <summary>Every node case whose ops LowBit implements (<see cref="NodeConformanceTests.Classify"/>).</summary>
    public static IEnumerable<object[]> SupportedCases() =>
        NodeTestCase.All().Where(c => NodeConformanceTests.Classify(c).Supported).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(SupportedCases))]
    public void NodeCase_ExportRoundTrip_OrtOutputsIdentical(string name)
    {
        var c = new NodeTestCase(name, Path.Combine(NodeTestCase.Root, name));
        OrtRunner original;
        try
        {
            original = OrtRunner.FromFile(c.ModelPath, threads: 1);
        }
        catch (LowBitException)
        {
            return; // ONNX Runtime cannot run the original (an op or opset it lacks): there is nothing to compare with.
        }
        using (original)
        {
            var g = OnnxImporter.Load(c.ModelPath);
            using var exported = OrtRunner.FromBytes(OnnxExporter.ToBytes(g), threads: 1);
            Assert.Equal(original.OutputNames, exported.OutputNames);
            foreach (var ds in c.DataSets())
            {
                var inputs = NodeTestCase.ReadAll(ds, "input");
                var feeds = new Dictionary<string, Tensor>();
                for (int i = 0; i < inputs.Count; i++) feeds[original.InputNames[i]] = inputs[i];
                Dictionary<string, Tensor> expected;
                try
                {
                    expected = original.Run(feeds);
                }
                catch (LowBitException)
                {
                    return; // ONNX Runtime fails on the original's own data: nothing to compare with.
                }
                var actual = exported.Run(feeds);
                foreach (var (output, e) in expected)
                    Ops.OrtParity.AssertBits(e, actual[output], $"{name} output {output}");
            }
        }
    }

    [RequiresResNet18Fact]
    public void ResNet18_ExportRoundTrip_OrtOutputsIdentical()
    {
        var g = OnnxImporter.Load(RealModels.ResNet18);
        Assert.Equal(3, g.Metadata.IrVersion);
        var bytes = OnnxExporter.ToBytes(g);
        var back = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(3, back.IrVersion);
        Assert.Equal(g.Opsets[""], back.OpsetImport.Single(o => o.Domain == "").Version);

        var r = new Random(7);
        var shape = g.Inputs[0].Shape!.Select(d => (int)(d.Value ?? 1)).ToArray();
        var x = Tensor.Zeros(DType.Float32, shape);
        var xs = x.AsSpan<float>();
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(r.NextDouble() * 255 - 128);
        var feeds = new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x };
        using var original = OrtRunner.FromFile(RealModels.ResNet18, threads: 2);
        using var exported = OrtRunner.FromBytes(bytes, threads: 2);
        var expected = original.Run(feeds);
        var actual = exported.Run(feeds);
        foreach (var (output, e) in expected) Ops.OrtParity.AssertBits(e, actual[output], $"ResNet18 output {output}");
    }
}
