using LowBit.Graph;
using LowBit.Nn.Zoo;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary>
/// Models for the quantize/compare/eval/demo tests, built once per class: the zoo's fashion-cnn with its seeded (untrained)
/// weights, exported to a temp folder, quantized once W8A8 with the CLI (32 calibration images of fashion-mnist-1k).
/// Untrained weights suffice: these tests check the commands, not the accuracy (docs/results.md has the trained numbers).
/// </summary>
public sealed class QuantModelsFixture : IDisposable
{
    private readonly CliHarness h = new();

    public string Dir => h.Dir;
    /// <summary>fashion-cnn, input "input" float32 [N,1,28,28], output "logits" [N,10].</summary>
    public string Float { get; }
    /// <summary><see cref="Float"/> quantized static W8A8 per-channel.</summary>
    public string Quantized { get; }

    public QuantModelsFixture()
    {
        Float = h.Save(ModelZoo.Build("fashion-cnn"), "fcnn.onnx");
        Quantized = h.PathOf("fcnn.w8a8.onnx");
        var r = CliHarness.Run("quantize", Float, "--out", Quantized, "--calib-data", "fashion-mnist-1k", "--calib-samples", "32", "--threads", "1");
        if (r.Code != 0) throw new InvalidOperationException("fixture quantize failed: " + r.Err);
    }

    public string PathOf(string name) => h.PathOf(name);

    /// <summary>x float32 [N,4] → MatMul(W [4,3]) → y: the smallest model the quantizer quantizes.</summary>
    public static Graph.Graph TinyMatMul()
    {
        var g = new Graph.Graph { Name = "tiny" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(4)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(3)]));
        g.Initializers["W"] = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i + 1)).ToArray(), 4, 3);
        g.Add("MatMul", ["x", "W"], ["y"], "mm");
        g.Opsets[""] = 17;
        return g;
    }

    /// <summary>int64 ids [N,4] → Cast → MatMul: a model whose input no float data fits.</summary>
    public static Graph.Graph Int64Input()
    {
        var g = new Graph.Graph { Name = "ids" };
        g.Inputs.Add(new ValueInfo("ids", DType.Int64, [Dim.Symbolic("batch"), Dim.Known(4)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(3)]));
        g.Initializers["W"] = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)Math.Cos(i)).ToArray(), 4, 3);
        g.Add("Cast", ["ids"], ["xf"], "cast").With("to", (long)DType.Float32);
        g.Add("MatMul", ["xf", "W"], ["y"], "mm");
        g.Opsets[""] = 17;
        return g;
    }

    public void Dispose() => h.Dispose();
}
