using LowBit.Nn.Training;
using LowBit.Tensors;

namespace LowBit.Nn.Qat;

/// <summary>What quantization-aware training updates of the quantized weights.</summary>
internal enum RetrainScope
{
    /// <summary>Every weight (full QAT).</summary>
    All,
    /// <summary>The ⌈F·L⌉ weight tensors (of L) with the largest total saliency; the others stay frozen.</summary>
    SalientLayers,
    /// <summary>The ⌈F·N⌉ weight elements (of N, across all quantized tensors) with the largest saliency.</summary>
    SalientWeights,
    /// <summary>⌈F·N⌉ weight elements drawn uniformly at random (seeded): the control for <see cref="SalientWeights"/>.</summary>
    RandomWeights,
}

/// <summary>A retraining scope and its fraction F in (0, 1] (1 for <see cref="RetrainScope.All"/>).</summary>
internal sealed record RetrainSelection
{
    public RetrainScope Scope { get; }
    public double Fraction { get; }

    public RetrainSelection(RetrainScope scope, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
            throw new LowBitException(ErrorKind.Usage, $"--retrain: fraction {fraction} must be in (0, 1]");
        Scope = scope;
        Fraction = scope == RetrainScope.All ? 1 : fraction;
    }

    public static RetrainSelection Full { get; } = new(RetrainScope.All, 1);

    public override string ToString() => Scope switch
    {
        RetrainScope.SalientLayers => FormattableString.Invariant($"salient-layers:{Fraction:0.###}"),
        RetrainScope.SalientWeights => FormattableString.Invariant($"salient-weights:{Fraction:0.###}"),
        RetrainScope.RandomWeights => FormattableString.Invariant($"random-weights:{Fraction:0.###}"),
        _ => "all",
    };
}

/// <summary>One quantized weight tensor: its saliency Σ S_i (<see cref="Saliency"/>) and how many of its elements train.</summary>
internal sealed record RetrainedLayer(string Name, int Elements, double Saliency, int Retrained);

/// <summary>
/// Saliency-aware partial retraining (<see cref="Saliency"/>): which quantized weights train. Frozen tensors leave the
/// optimizer's parameter list; in a partly trained tensor, <see cref="FilterGradient"/> zeroes the gradient of frozen
/// elements (so clipping and momentum see only trained ones) and <see cref="Restore"/>, after every step, puts them back
/// to their start values (weight decay would otherwise move them), so they stay bit-identical. Biases and quantizer scales
/// are not ranked and train as in full QAT.
/// </summary>
internal sealed class PartialRetraining
{
    private readonly Dictionary<string, bool[]> masks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> start = new(StringComparer.Ordinal);
    private readonly HashSet<string> frozen = new(StringComparer.Ordinal);

    public RetrainSelection Selection { get; }
    /// <summary>Every quantized weight tensor, in graph order.</summary>
    public IReadOnlyList<RetrainedLayer> Layers { get; }
    public long TotalWeights => Layers.Sum(l => (long)l.Elements);
    public long RetrainedWeights => Layers.Sum(l => (long)l.Retrained);

    private PartialRetraining(RetrainSelection selection, IReadOnlyList<RetrainedLayer> layers)
    {
        Selection = selection;
        Layers = layers;
    }

    /// <summary>Selects from <paramref name="scores"/> (weight name → S per element); ties go to the earlier element.
    /// <paramref name="g"/> gives the start values of partly trained tensors; <paramref name="seed"/> draws
    /// <see cref="RetrainScope.RandomWeights"/>.</summary>
    public static PartialRetraining Select(Graph.Graph g, IReadOnlyList<string> weights, IReadOnlyDictionary<string, float[]> scores, RetrainSelection selection,
        int seed = 0)
    {
        var total = weights.ToDictionary(w => w, w => scores[w].Sum(v => (double)v), StringComparer.Ordinal);
        var chosen = weights.ToDictionary(w => w, _ => (bool[]?)null, StringComparer.Ordinal);
        switch (selection.Scope)
        {
            case RetrainScope.All:
                foreach (var w in weights) chosen[w] = Enumerable.Repeat(true, scores[w].Length).ToArray();
                break;
            case RetrainScope.SalientLayers:
                int k = (int)Math.Ceiling(selection.Fraction * weights.Count - 1e-9);
                foreach (var w in weights.Select((w, i) => (w, i)).OrderByDescending(p => total[p.w]).ThenBy(p => p.i).Take(k).Select(p => p.w))
                    chosen[w] = Enumerable.Repeat(true, scores[w].Length).ToArray();
                break;
            case RetrainScope.SalientWeights or RetrainScope.RandomWeights:
                var rng = new Random(seed);
                var all = weights.SelectMany((w, t) => scores[w].Select((s, i) => (s, t, i))).ToArray();
                if (selection.Scope == RetrainScope.RandomWeights)
                    for (int e = 0; e < all.Length; e++) all[e].s = rng.NextSingle();
                long n = (long)Math.Ceiling(selection.Fraction * all.Length - 1e-9);
                foreach (var w in weights) chosen[w] = new bool[scores[w].Length];
                foreach (var (_, t, i) in all.OrderByDescending(e => e.s).ThenBy(e => e.t).ThenBy(e => e.i).Take((int)n))
                    chosen[weights[t]]![i] = true;
                break;
        }
        var layers = weights.Select(w => new RetrainedLayer(w, scores[w].Length, total[w], chosen[w]?.Count(c => c) ?? 0)).ToList();
        var plan = new PartialRetraining(selection, layers);
        foreach (var l in layers)
        {
            if (l.Retrained == 0) plan.frozen.Add(l.Name);
            else if (l.Retrained < l.Elements)
            {
                plan.masks[l.Name] = chosen[l.Name]!;
                plan.start[l.Name] = g.Initializers[l.Name].ToFloatArray();
            }
        }
        return plan;
    }

    /// <summary><paramref name="setup"/> restricted to the selection on graph <paramref name="g"/>: frozen tensors out of the
    /// parameters (<paramref name="all"/> when the setup names none), frozen elements' gradients zeroed, their values restored
    /// after the setup's own post-step hook.</summary>
    public TrainerSetup Restrict(TrainerSetup setup, Graph.Graph g, IReadOnlyList<string> all)
    {
        var after = setup.AfterStep;
        var filter = setup.GradientFilter;
        return setup with
        {
            Parameters = Parameters(setup.Parameters ?? all),
            GradientFilter = filter is null ? FilterGradient : (n, t) => FilterGradient(n, filter(n, t)),
            AfterStep = () =>
            {
                after?.Invoke();
                Restore(g);
            },
        };
    }

    /// <summary><paramref name="parameters"/> without the frozen weight tensors.</summary>
    public IReadOnlyList<string> Parameters(IReadOnlyList<string> parameters) => parameters.Where(p => !frozen.Contains(p)).ToList();

    /// <summary>The gradient with frozen elements zeroed (a copy: a backward may share one tensor between values); other
    /// tensors' gradients unchanged.</summary>
    public Tensor FilterGradient(string name, Tensor gradient)
    {
        if (!masks.TryGetValue(name, out var mask)) return gradient;
        gradient = gradient.DType == DType.Float32 ? gradient.Clone() : throw new InvalidOperationException($"gradient of '{name}' is {gradient.DType}, not float32");
        var gs = gradient.AsSpan<float>();
        for (int i = 0; i < gs.Length; i++)
            if (!mask[i]) gs[i] = 0;
        return gradient;
    }

    /// <summary>Frozen elements of partly trained tensors back to their start values (call after every optimizer step).</summary>
    public void Restore(Graph.Graph g)
    {
        foreach (var (name, mask) in masks)
        {
            var w = g.Initializers[name].AsSpan<float>();
            var s = start[name];
            for (int i = 0; i < w.Length; i++)
                if (!mask[i]) w[i] = s[i];
        }
    }
}
