using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// The distribution BatchNormalization gives its output, per channel c: z_c ~ N(β_c, γ_c²) (normalized, then scaled and
/// shifted), recorded from the float model before the BNs are folded (the folded Conv keeps the BN's output name).
/// Through an activation the mean is that of a clipped normal (Nagel et al. 2019, §4.2 and appendix C): with
/// g(μ) = μ·Φ(μ/σ) + σ·φ(μ/σ) = E[max(z, 0)], Relu gives g(μ) and Clip(0, a) gives g(μ) − g(μ − a).
/// </summary>
internal sealed class BatchNormStats
{
    private readonly Dictionary<string, (double[] Mean, double[] Std)> outputs;

    private BatchNormStats(Dictionary<string, (double[] Mean, double[] Std)> outputs) => this.outputs = outputs;

    public int Count => outputs.Count;

    public static BatchNormStats Of(Graph.Graph source)
    {
        var d = new Dictionary<string, (double[], double[])>(StringComparer.Ordinal);
        foreach (var bn in source.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0 && n.Inputs.Count >= 3))
            if (source.Initializers.TryGetValue(bn.Inputs[1], out var gamma) && source.Initializers.TryGetValue(bn.Inputs[2], out var beta)
                && gamma.Length == beta.Length)
                d[bn.Outputs[0]] = (Doubles(beta), Doubles(gamma).Select(Math.Abs).ToArray());
        return new BatchNormStats(d);
    }

    /// <summary>E[x] per channel of <paramref name="value"/> in <paramref name="g"/>, or null when it is not a BN output,
    /// directly or through Relu / Clip(0, a).</summary>
    public double[]? InputMean(Graph.Graph g, string value)
    {
        if (outputs.TryGetValue(value, out var direct)) return direct.Mean;
        var producer = g.Nodes.FirstOrDefault(n => n.Outputs.Contains(value));
        if (producer is null || producer.Inputs.Count == 0 || !outputs.TryGetValue(producer.Inputs[0], out var s)) return null;
        double lo, hi;
        switch (producer.OpType)
        {
            case "Relu": (lo, hi) = (0, double.PositiveInfinity); break;
            case "Clip":
                (lo, hi) = ClipBounds(g, producer);
                if (lo != 0) return null;
                break;
            default: return null;
        }
        var mean = new double[s.Mean.Length];
        for (int c = 0; c < mean.Length; c++)
            mean[c] = ReluMean(s.Mean[c], s.Std[c]) - (double.IsPositiveInfinity(hi) ? 0 : ReluMean(s.Mean[c] - hi, s.Std[c]));
        return mean;
    }

    private static (double, double) ClipBounds(Graph.Graph g, Graph.Node clip)
    {
        double Bound(int i, string attr, double dflt) =>
            clip.Inputs.Count > i && clip.Inputs[i].Length > 0 && g.Initializers.TryGetValue(clip.Inputs[i], out var t) ? t.GetDouble(0)
            : clip.Attributes.TryGetValue(attr, out var a) ? Convert.ToDouble(a.Value) : dflt;
        return (Bound(1, "min", double.NegativeInfinity), Bound(2, "max", double.PositiveInfinity));
    }

    /// <summary>E[max(z, 0)] for z ~ N(μ, σ²).</summary>
    internal static double ReluMean(double mu, double sigma)
    {
        if (sigma <= 0) return Math.Max(mu, 0);
        double t = mu / sigma;
        return mu * Phi(t) + sigma * Math.Exp(-0.5 * t * t) / Math.Sqrt(2 * Math.PI);
    }

    /// <summary>Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit, |relative error| &lt; 1.2e-7).</summary>
    internal static double Phi(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    private static double[] Doubles(Tensor t) => Enumerable.Range(0, t.Length).Select(t.GetDouble).ToArray();
}
