using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Prepare;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>Shared models and helpers of the SmoothQuant, RepQuant and rotation tests.</summary>
internal static class SmoothingTestModels
{
    /// <summary>
    /// <see cref="TransformerBlock"/> (T = 8, D = 32) with LLM-like outlier channels: LayerNorm ln1's γ is 40 on channels
    /// 3 and 17 (1 elsewhere) and ln2's β shifts channel 5 by +6 and γ scales channel 9 by 25, so the post-LN
    /// activations have a few channels 25–40× wider than the rest (the case SmoothQuant/RepQuant address).
    /// </summary>
    public static Graph.Graph OutlierBlock(int seed = 3)
    {
        var g = TransformerBlock(seed);
        var ln1 = g.Nodes.Single(n => n.Name == "ln1");
        var ln2 = g.Nodes.Single(n => n.Name == "ln2");
        var gamma1 = g.Initializers[ln1.Inputs[1]].AsSpan<float>();
        gamma1[3] = 40;
        gamma1[17] = -40;
        g.Initializers[ln2.Inputs[1]].AsSpan<float>()[9] = 25;
        g.Initializers[ln2.Inputs[2]].AsSpan<float>()[5] = 6;
        return g;
    }

    /// <summary>x [T = 8, D = 32] → LayerNorm (γ = 40 on channels 3 and 17, β = 6 on channel 5) → Dense 32→32 (+ bias):
    /// the post-LN activation is the only one with outlier channels, so its quantization dominates the output error.</summary>
    public static Graph.Graph OutlierLinear(int seed = 4)
    {
        var b = new LowBit.Nn.GraphBuilder("ln-linear", seed);
        string x = b.Input("x", DType.Float32, 8, 32);
        string y = b.Dense(b.LayerNorm(x, 32, "ln"), 32, 32, "fc", std: 0.2);
        b.Output(y, "y", DType.Float32, 8, 32);
        var g = b.Graph;
        var ln = g.Nodes.Single(n => n.Name == "ln");
        var gamma = g.Initializers[ln.Inputs[1]].AsSpan<float>();
        gamma[3] = 40;
        gamma[17] = -40;
        g.Initializers[ln.Inputs[2]].AsSpan<float>()[5] = 6;
        return g;
    }

    /// <summary>Prepared copy of <paramref name="g"/> with the config's transforms applied (no quantization).</summary>
    public static (Graph.Graph Graph, List<TransformEntry> Entries) Transform(Graph.Graph g, QuantizerConfig config, IEnumerable<IReadOnlyDictionary<string, Tensor>>? data)
    {
        var (p, _) = GraphPreparation.Run(g);
        var entries = PreQuantTransforms.Apply(p, config, ref data, CalibrationOptions.Default, null);
        return (p, entries);
    }

    /// <summary>max|y − y_ref| / max|y_ref| over the samples.</summary>
    public static double RelativeError(Graph.Graph reference, Graph.Graph other, IEnumerable<IReadOnlyDictionary<string, Tensor>> samples, bool ort = false)
    {
        double err = 0, scale = 0;
        foreach (var s in samples)
        {
            var a = RunLowBit(reference, s);
            var b = ort ? RunOrt(other, s) : RunLowBit(other, s);
            err = Math.Max(err, MaxAbsDiff(a, b));
            scale = Math.Max(scale, MaxAbs(a));
        }
        return err / scale;
    }

    /// <summary>Root-mean-square of y − y_ref over the samples, relative to the RMS of y_ref.</summary>
    public static double RelativeRms(Graph.Graph reference, Graph.Graph other, IEnumerable<IReadOnlyDictionary<string, Tensor>> samples)
    {
        double e = 0, r = 0;
        foreach (var s in samples)
        {
            var a = RunLowBit(reference, s).AsReadOnlySpan<float>().ToArray();
            var b = RunLowBit(other, s).AsReadOnlySpan<float>().ToArray();
            for (int i = 0; i < a.Length; i++) { e += (a[i] - b[i]) * (double)(a[i] - b[i]); r += a[i] * (double)a[i]; }
        }
        return Math.Sqrt(e / r);
    }

    /// <summary>Per-channel range spread (max/mean of max|X_j|) of the activation the layer <paramref name="layer"/> reads.</summary>
    public static double SpreadAtInputOf(Graph.Graph g, string layer, IEnumerable<IReadOnlyDictionary<string, Tensor>> data)
    {
        var node = g.Nodes.Single(n => n.Name == layer);
        int k = g.Initializers[node.Inputs[1]].Shape[0];
        return ChannelStats.Collect(g, new Dictionary<string, int> { [node.Inputs[0]] = k }, data, null, 1)[node.Inputs[0]].Spread();
    }
}
