using ModelGraph = LowBit.Graph.Graph;
using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

// Not LowBit.Tests.Runtime: a namespace of that name would hide LowBit.Runtime from tests that write `Runtime.Session`.
namespace LowBit.Tests.Autograd;

/// <summary>
/// Gradient check against central finite differences. The scalar probed is L = Σ_outputs ⟨y, r⟩ with r a seeded
/// N(0, 1) tensor per differentiable output, accumulated in double from the float32 outputs, so dL/dy = r is what
/// backward receives. For every element of every checked input, (L(x + ε) − L(x − ε)) / 2ε is compared with the
/// backward's gradient.
/// <para>
/// Tolerance: |analytic − numeric| ≤ tol·max(1, max|numeric|) per input. The forward runs in float32: rounding of each
/// output is ≈ 6e-8 relative, so L (a sum of ≲ 10³ unit-size products) carries ≲ 1e-5 of noise and its central
/// difference ≲ 1e-5 / 2ε = 5e-4 at ε = 1e-2; the O(ε²) truncation term is ≲ 1e-4 for these smooth functions. The default
/// 3e-3 leaves a margin over that and still fails on a wrong factor, a missing term, or a dropped broadcast sum. Inputs
/// must keep a margin over ε from kinks (ReLU at 0, clip bounds, max-pool ties): the tests choose such inputs.
/// </para>
/// Every forward uses a fresh <see cref="TrainingSession"/> with the same seed (Dropout draws the same mask each time).
/// </summary>
internal sealed class GradCheck
{
    private readonly string op;
    private readonly long opset;
    private readonly List<(string Name, Tensor? Value, bool Checked)> inputs = new();
    private readonly List<(string Name, object Value)> attributes = new();
    private int outputs = 1, extraOutputs;
    private double eps = 1e-2, tolerance = 3e-3;
    private int seed = 7;

    private GradCheck(string op, long opset)
    {
        this.op = op;
        this.opset = opset;
    }

    public static GradCheck For(string op, long opset = 21) => new(op, opset);

    /// <summary>A graph input whose gradient is checked.</summary>
    public GradCheck Input(string name, Tensor value)
    {
        inputs.Add((name, value, true));
        return this;
    }

    /// <summary>An initializer (not checked: shape arguments, axes, integer indices, fixed operands).</summary>
    public GradCheck Constant(string name, Tensor value)
    {
        inputs.Add((name, value, false));
        return this;
    }

    /// <summary>An omitted optional input (empty name).</summary>
    public GradCheck Omitted()
    {
        inputs.Add(("", null, false));
        return this;
    }

    public GradCheck Attr(string name, object value)
    {
        attributes.Add((name, value));
        return this;
    }

    /// <summary>The first <paramref name="differentiable"/> outputs enter L; <paramref name="more"/> further outputs are
    /// produced but not probed (masks, indices).</summary>
    public GradCheck Outputs(int differentiable, int more = 0)
    {
        outputs = differentiable;
        extraOutputs = more;
        return this;
    }

    public GradCheck Eps(double value)
    {
        eps = value;
        return this;
    }

    public GradCheck Tolerance(double value)
    {
        tolerance = value;
        return this;
    }

    public GradCheck Seed(int value)
    {
        seed = value;
        return this;
    }

    /// <summary>Builds the one-node graph, runs the check and asserts; returns the analytic gradients.</summary>
    public Dictionary<string, Tensor> Run()
    {
        var g = new ModelGraph();
        g.Opsets[""] = opset;
        var feed = new Dictionary<string, Tensor>();
        foreach (var (name, value, isChecked) in inputs)
        {
            if (value is null) continue;
            if (isChecked)
            {
                g.Inputs.Add(ValueInfo.Of(name, value.DType, value.Shape.Select(d => (long)d).ToArray()));
                feed[name] = value;
            }
            else g.Initializers[name] = value;
        }
        var outNames = Enumerable.Range(0, outputs + extraOutputs).Select(i => $"y{i}").ToArray();
        var node = g.Add(op, inputs.Select(i => i.Name).ToArray(), outNames, "node");
        foreach (var (name, value) in attributes) node.With(name, value);
        foreach (var o in outNames.Take(outputs)) g.Outputs.Add(new ValueInfo(o, DType.Float32, null));
        return Check(g, feed, inputs.Where(i => i.Checked).Select(i => i.Name).ToArray(), eps, tolerance, seed);
    }

    /// <summary>The check on any graph: <paramref name="wrt"/> are graph inputs in <paramref name="feed"/> or initializers
    /// (perturbed in the graph, then restored); every graph output enters L.</summary>
    public static Dictionary<string, Tensor> Check(ModelGraph g, Dictionary<string, Tensor> feed, string[] wrt, double eps = 1e-2,
        double tolerance = 3e-3, int seed = 7)
    {
        var session = new TrainingSession(g, seed: seed);
        var ys = session.Forward(feed, training: true);
        var rng = new Random(seed + 1);
        var probes = g.Outputs.ToDictionary(o => o.Name, o => TestTensors.Random(rng, ys[o.Name].Shape));
        var analytic = session.Backward(probes, wrt);
        foreach (string name in wrt)
        {
            var x = feed.TryGetValue(name, out var fed) ? fed : g.Initializers[name];
            var a = analytic[name];
            Assert.Equal(x.Shape, a.Shape);
            var numeric = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                double v = x.GetDouble(i);
                numeric[i] = (Loss(g, feed, name, i, v + eps, probes, seed) - Loss(g, feed, name, i, v - eps, probes, seed)) / (2 * eps);
            }
            double scale = Math.Max(1, numeric.Max(Math.Abs)), worst = 0;
            int at = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double err = Math.Abs(a.GetDouble(i) - numeric[i]);
                if (err > worst) { worst = err; at = i; }
            }
            Assert.True(worst <= tolerance * scale,
                $"d/d{name}[{at}] of {(g.Nodes.Count == 1 ? g.Nodes[0].OpType : g.Name)}: analytic {a.GetDouble(at):G6}, numeric {numeric[at]:G6} " +
                $"(error {worst:G3} > {tolerance}·{scale:G3}); shape {x.ShapeString}");
        }
        return analytic;
    }

    private static double Loss(ModelGraph g, Dictionary<string, Tensor> feed, string name, int index, double value,
        Dictionary<string, Tensor> probes, int seed)
    {
        var perturbed = new Dictionary<string, Tensor>(feed);
        bool isInput = feed.ContainsKey(name);
        var original = isInput ? feed[name] : g.Initializers[name];
        var x = original.Clone();
        x.SetDouble(index, value);
        if (isInput) perturbed[name] = x;
        else g.Initializers[name] = x;
        Dictionary<string, Tensor> ys;
        try
        {
            ys = new TrainingSession(g, seed: seed).Forward(perturbed, training: true);
        }
        finally
        {
            if (!isInput) g.Initializers[name] = original;
        }
        double l = 0;
        foreach (var (o, r) in probes)
        {
            var y = ys[o];
            for (int i = 0; i < y.Length; i++) l += y.GetDouble(i) * r.GetDouble(i);
        }
        return l;
    }
}

/// <summary>Seeded test tensors.</summary>
internal static class TestTensors
{
    /// <summary>N(0, 1) values (Box–Muller).</summary>
    public static Tensor Random(Random rng, params int[] shape) =>
        Tensor.FromArray(Normal(rng, (int)Tensor.ElementCount(shape)), shape);

    /// <summary>N(0, 1) values pushed at least <paramref name="margin"/> away from 0 (for kinked functions).</summary>
    public static Tensor AwayFromZero(Random rng, double margin, params int[] shape) =>
        Tensor.FromArray(Normal(rng, (int)Tensor.ElementCount(shape)).Select(v => v >= 0 ? v + (float)margin : v - (float)margin).ToArray(), shape);

    /// <summary>A random permutation of k·step (k = 0, 1, …) shifted to be centred on 0: all values distinct and at least
    /// <paramref name="step"/> apart (max-pool windows have a unique maximum with margin).</summary>
    public static Tensor Distinct(Random rng, double step, params int[] shape)
    {
        int n = (int)Tensor.ElementCount(shape);
        var v = Enumerable.Range(0, n).Select(i => (float)((i - n / 2.0) * step)).ToArray();
        rng.Shuffle(v);
        return Tensor.FromArray(v, shape);
    }

    /// <summary>N(0, σ²) values redrawn until each is at least <paramref name="margin"/> from every kink.</summary>
    public static Tensor Avoiding(Random rng, double sigma, double[] kinks, double margin, params int[] shape)
    {
        var v = new float[(int)Tensor.ElementCount(shape)];
        for (int i = 0; i < v.Length; i++)
            do v[i] = (float)(sigma * Normal(rng, 1)[0]);
            while (kinks.Any(k => Math.Abs(v[i] - k) < margin));
        return Tensor.FromArray(v, shape);
    }

    /// <summary>Moves every value at least <paramref name="margin"/> away from each kink (in place; returns the tensor).</summary>
    public static Tensor Nudge(Tensor t, double[] kinks, double margin)
    {
        for (int i = 0; i < t.Length; i++)
            foreach (double k in kinks)
                if (Math.Abs(t.GetDouble(i) - k) < margin) t.SetDouble(i, k + (t.GetDouble(i) >= k ? margin : -margin));
        return t;
    }

    public static Tensor Uniform(Random rng, double lo, double hi, params int[] shape) =>
        Tensor.FromArray(Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray(), shape);

    private static float[] Normal(Random rng, int n)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++)
            r[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return r;
    }
}
