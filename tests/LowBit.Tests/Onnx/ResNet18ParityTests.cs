using LowBit.Graph;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx;

/// <summary>A fact skipped (with the reason) when the ResNet18 package is not restored or an op it needs is not registered.</summary>
public sealed class ResNet18FactAttribute : FactAttribute
{
    public ResNet18FactAttribute()
    {
        if (!File.Exists(RealModels.ResNet18)) { Skip = $"{RealModels.ResNet18} is missing; run dotnet restore"; return; }
        var g = OnnxImporter.Load(RealModels.ResNet18);
        var missing = g.Nodes.Where(n => !OpTable.IsSupported(n, g)).Select(n => $"{n.OpType}-{g.OpsetOf(n.Domain)}").Distinct().Order().ToList();
        if (missing.Count > 0) Skip = $"ResNet18 needs ops not registered yet: {string.Join(", ", missing)}";
    }
}

/// <summary>
/// The real CNTK ResNet18 (asymmetric stem pads [3,3,2,2], legacy BatchNormalization with spatial = 1) in LowBit
/// (optimized: BN folded, Relu/residual Add fused; and as written) against ONNX Runtime:
/// max |LowBit − ORT| ≤ 1e-4·max |ORT| (the project's FP32 parity criterion; folding BN and summation order over
/// K ≤ 4608 leave ~1e-6 relative).
/// </summary>
public class ResNet18ParityTests
{
    [ResNet18Fact]
    public void ResNet18_Batch1_MatchesOrt() => AssertParity(batch: 1, optimize: true);

    [ResNet18Fact]
    public void ResNet18_Batch3_MatchesOrt() => AssertParity(batch: 3, optimize: true);

    /// <summary>Batch 5 on 2 threads: deep layers give each thread its own run of images (2 and 3), with the fused
    /// residual and bias sliced per run.</summary>
    [ResNet18Fact]
    public void ResNet18_Batch5_MatchesOrt() => AssertParity(batch: 5, optimize: true);

    [ResNet18Fact]
    public void ResNet18_Batch2Unoptimized_MatchesOrt() => AssertParity(batch: 2, optimize: false);

    private static void AssertParity(int batch, bool optimize)
    {
        var g = OnnxImporter.Load(RealModels.ResNet18);
        ValueInfo Rebatch(ValueInfo v) => v with { Shape = [Dim.Known(batch), .. v.Shape![1..]] };
        g.Inputs[0] = Rebatch(g.Inputs[0]);
        g.Outputs[0] = Rebatch(g.Outputs[0]);
        var x = Tensor.Zeros(DType.Float32, batch, 3, 224, 224);
        var r = new Random(18);
        var xs = x.AsSpan<float>();
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(r.NextDouble() * 255 - 128);
        var feed = new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x };
        using var ort = OrtRunner.FromGraph(g, threads: 2);
        var expected = ort.Run(feed)[g.Outputs[0].Name];
        var actual = new Session(g, new SessionOptions(threads: 2) { Optimize = optimize }).Run(feed)[g.Outputs[0].Name];
        TensorAssert.RelativeMax(expected, actual, 1e-4, $"ResNet18 batch {batch}");
    }
}
