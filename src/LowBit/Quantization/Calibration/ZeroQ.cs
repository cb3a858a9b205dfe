using LowBit.Data;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Calibration;

/// <summary>
/// ZeroQ settings. <see cref="Samples"/> inputs are synthesized in batches of <see cref="BatchSize"/> (a model whose
/// batch dim is fixed uses that size), each by <see cref="Iterations"/> Adam steps of rate <see cref="LearningRate"/>
/// from N(0, 1) values drawn with <see cref="Seed"/>. <see cref="SampleShape"/> (one sample, without the batch dim)
/// replaces the model's declared shape: needed when a non-batch dim is symbolic.
/// </summary>
public sealed record ZeroQOptions
{
    public const int DefaultSamples = 256, DefaultBatchSize = 32, DefaultIterations = 100;
    public const double DefaultLearningRate = 0.2;

    public int Samples { get; }
    public int BatchSize { get; }
    public int Iterations { get; }
    public double LearningRate { get; }
    public ulong Seed { get; }
    public int[]? SampleShape { get; init; }

    public ZeroQOptions(int samples = DefaultSamples, int batchSize = DefaultBatchSize, int iterations = DefaultIterations,
        double learningRate = DefaultLearningRate, ulong seed = 0)
    {
        if (samples < 1) throw new LowBitException(ErrorKind.Usage, $"zeroq: samples must be ≥ 1, got {samples}");
        if (batchSize < 1) throw new LowBitException(ErrorKind.Usage, $"zeroq: batch size must be ≥ 1, got {batchSize}");
        if (iterations < 0) throw new LowBitException(ErrorKind.Usage, $"zeroq: iterations must be ≥ 0, got {iterations}");
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new LowBitException(ErrorKind.Usage, $"zeroq: learning rate must be a positive number, got {learningRate}");
        (Samples, BatchSize, Iterations, LearningRate, Seed) = (samples, batchSize, iterations, learningRate, seed);
    }
}

/// <summary>ZeroQ progress: batch (1-based) of batches, Adam steps done of the batch's total, and the statistics loss at
/// the current inputs (after the last step when <c>Iteration == Iterations</c>).</summary>
public readonly record struct ZeroQProgress(int Batch, int Batches, int Iteration, int Iterations, double Loss);

/// <summary>
/// Data-free calibration inputs ("distilled data"): Cai, Yao, Dong, Gholami, Mahoney, Keutzer, "ZeroQ: A Novel Zero Shot
/// Quantization Framework", CVPR 2020 (arXiv:2001.00063). For the BatchNormalization layers i with running mean μᵢ and
/// σᵢ = √(running var) of their input, inputs x start at N(0, 1) and minimize (eq. 2, each term averaged over the Cᵢ channels)
/// <code>
/// L(x) = Σᵢ (‖μ̃ᵢ − μᵢ‖² + ‖σ̃ᵢ − σᵢ‖²) / Cᵢ,   μ̃ᵢc = (1/M) Σ zᵢ,   σ̃ᵢc = √((1/M) Σ (zᵢ − μ̃ᵢc)²)
/// </code>
/// where zᵢ is the BN input for the batch and the sums run over the M = N·plane values of channel c. Its gradient at zᵢ is
/// <code>
/// ∂L/∂z = (2/Cᵢ)·[(μ̃c − μc) + (σ̃c − σc)·(z − μ̃c)/σ̃c] / M
/// </code>
/// back-propagated to x by LowBit's autograd through a graph whose BatchNormalization layers use running statistics
/// (<see cref="ZeroQGraph"/>), and x follows Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
/// </summary>
public static class ZeroQ
{
    /// <summary>Synthesizes <see cref="ZeroQOptions.Samples"/> calibration samples for the single float input of
    /// <paramref name="model"/> (not modified: its running statistics stay as they are), one dictionary per sample with a
    /// batch dim of 1. Cancellation is checked between Adam steps.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, Tensor>> Synthesize(Graph.Graph model, ZeroQOptions options,
        IProgress<ZeroQProgress>? progress = null, CancellationToken cancellation = default, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        string name = modelName ?? model.Name;
        var (input, sampleShape, fixedBatch) = InputShape(model, name, options.SampleShape);
        int batch = fixedBatch ?? Math.Min(options.BatchSize, options.Samples);
        int batches = (options.Samples + batch - 1) / batch, per = sampleShape.Aggregate(1, (a, d) => a * d);
        var (g, targets) = ZeroQGraph.Build(model, name, input, Gaussian([batch, .. sampleShape], options.Seed));
        var session = new TrainingSession(g);
        var samples = new List<IReadOnlyDictionary<string, Tensor>>(options.Samples);
        for (int k = 0; k < batches; k++)
        {
            // A model with a fixed batch dim always runs full batches; surplus samples of the last one are dropped.
            int n = fixedBatch ?? Math.Min(batch, options.Samples - k * batch);
            var x = Gaussian([n, .. sampleShape], Rng.Mix(options.Seed + (ulong)k + 1));
            Optimize(session, input, x, targets, options, k + 1, batches, progress, cancellation);
            var data = x.AsSpan<float>();
            for (int s = 0; s < n && samples.Count < options.Samples; s++)
                samples.Add(new Dictionary<string, Tensor> { [input] = Tensor.FromArray(data.Slice(s * per, per).ToArray(), [1, .. sampleShape]) });
        }
        return samples;
    }

    /// <summary>The loss L(x) of the docs above for the BN inputs of one forward of <paramref name="model"/>.</summary>
    internal static double Loss(Graph.Graph model, Tensor x, string modelName = "model")
    {
        var (input, _, _) = InputShape(model, modelName, [.. x.Shape[1..]]);
        var (g, targets) = ZeroQGraph.Build(model, modelName, input, x);
        var z = new TrainingSession(g).Forward(new Dictionary<string, Tensor> { [input] = x }, training: false);
        return targets.Sum(t => Stats(z[t.Value], t, null));
    }

    private static void Optimize(TrainingSession session, string input, Tensor x, BnTarget[] targets, ZeroQOptions o,
        int batch, int batches, IProgress<ZeroQProgress>? progress, CancellationToken cancellation)
    {
        var xs = x.AsSpan<float>().ToArray();
        var m = new float[xs.Length];
        var v = new float[xs.Length];
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        int every = Math.Max(1, o.Iterations / 20);
        double loss = 0;
        for (int it = 0; it <= o.Iterations; it++)
        {
            cancellation.ThrowIfCancellationRequested();
            var feed = new Dictionary<string, Tensor> { [input] = Tensor.FromArray(xs, x.Shape) };
            bool step = it < o.Iterations;
            var z = session.Forward(feed, training: step);
            var grads = step ? new Dictionary<string, Tensor>() : null;
            loss = targets.Sum(t => Stats(z[t.Value], t, grads));
            if (!double.IsFinite(loss))
                throw new LowBitException(ErrorKind.Numerical, $"zeroq: the statistics loss became {loss} at batch {batch} iteration {it}; lower the learning rate");
            if (it % every == 0 || !step) progress?.Report(new ZeroQProgress(batch, batches, it, o.Iterations, loss));
            if (!step) break;
            var gx = session.Backward(grads!, [input])[input].AsSpan<float>();
            // Adam (Kingma & Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², x ← x − lr·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
            double c1 = 1 - Math.Pow(beta1, it + 1), c2 = 1 - Math.Pow(beta2, it + 1);
            for (int i = 0; i < xs.Length; i++)
            {
                float g = gx[i];
                m[i] = (float)(beta1 * m[i] + (1 - beta1) * g);
                v[i] = (float)(beta2 * v[i] + (1 - beta2) * g * g);
                xs[i] -= (float)(o.LearningRate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + eps));
            }
        }
        xs.CopyTo(x.AsSpan<float>());
    }

    /// <summary>Adds one BN input's term of L; with <paramref name="grads"/> also stores ∂L/∂z under its name.</summary>
    private static double Stats(Tensor z, BnTarget t, Dictionary<string, Tensor>? grads)
    {
        int n = z.Shape[0], c = z.Shape[1], plane = z.Length / Math.Max(1, n * c);
        if (c != t.Mean.Length)
            throw new LowBitException(ErrorKind.InvalidModel, $"zeroq: {t.Node} has {t.Mean.Length} statistics for an input of {c} channels");
        var data = z.DType == DType.Float32 ? (float[])z.Data : z.ToFloatArray();
        double count = (double)n * plane, loss = 0;
        var mean = new double[c];
        var std = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0, s2 = 0;
            for (int b = 0; b < n; b++)
            {
                var span = data.AsSpan((b * c + ch) * plane, plane);
                s += System.Numerics.Tensors.TensorPrimitives.Sum(span);
            }
            mean[ch] = s / count;
            for (int b = 0; b < n; b++)
                foreach (float f in data.AsSpan((b * c + ch) * plane, plane)) s2 += (f - mean[ch]) * (f - mean[ch]);
            std[ch] = Math.Sqrt(s2 / count + 1e-12);
            double dm = mean[ch] - t.Mean[ch], ds = std[ch] - t.Std[ch];
            loss += (dm * dm + ds * ds) / c;
        }
        if (grads is null) return loss;
        var gz = new float[z.Length];
        for (int ch = 0; ch < c; ch++)
        {
            // ∂L/∂z = k0 + k1·(z − μ̃): k0 = 2(μ̃ − μ)/(C·M), k1 = 2(σ̃ − σ)/(C·M·σ̃).
            double k0 = 2 * (mean[ch] - t.Mean[ch]) / (c * count), k1 = 2 * (std[ch] - t.Std[ch]) / (c * count * std[ch]);
            for (int b = 0; b < n; b++)
            {
                int at = (b * c + ch) * plane;
                for (int p = 0; p < plane; p++) gz[at + p] = (float)(k0 + k1 * (data[at + p] - mean[ch]));
            }
        }
        grads[t.Value] = Tensor.FromArray(gz, z.Shape);
        return loss;
    }

    /// <summary>The single float input, one sample's shape and the fixed batch size (null when the batch dim is free).</summary>
    private static (string Input, int[] SampleShape, int? FixedBatch) InputShape(Graph.Graph model, string name, int[]? given)
    {
        var inputs = model.RealInputs.ToList();
        if (inputs.Count != 1 || inputs[0].DType != DType.Float32)
            throw new LowBitException(ErrorKind.Usage, $"zeroq synthesizes one float32 input; {name} has {inputs.Count} inputs: "
                + string.Join(", ", inputs.Select(i => $"{i.Name} ({i.DType.Name()})")));
        var x = inputs[0];
        if (x.Shape is not { Length: >= 2 } shape)
            throw new LowBitException(ErrorKind.Usage, $"zeroq: input '{x.Name}' of {name} has shape {x.ShapeString}; zeroq needs [N, C, ...]");
        int? batch = shape[0].Value is long b && b > 0 ? (int)b : null;
        if (given is not null)
        {
            if (given.Length != shape.Length - 1 || given.Any(d => d < 1) || !x.Accepts([batch ?? 1, .. given]))
                throw new LowBitException(ErrorKind.Usage, $"zeroq: sample shape {string.Join("x", given)} does not fit input '{x.Name}' {x.ShapeString}");
            return (x.Name, given, batch);
        }
        for (int i = 1; i < shape.Length; i++)
            if (shape[i].Value is not long d || d < 1)
                throw new LowBitException(ErrorKind.Usage, $"zeroq: input '{x.Name}' of {name} has dynamic dim {i} ({shape[i]}) in {x.ShapeString}; give the sample shape (zeroq:N,shape=" + string.Join("x", shape.Skip(1).Select(s => s.Value?.ToString() ?? "D")) + ")");
        return (x.Name, shape.Skip(1).Select(d => (int)d.Value!.Value).ToArray(), batch);
    }

    /// <summary>N(0, 1) values by Box–Muller from SplitMix64 (reproducible across runtimes).</summary>
    private static Tensor Gaussian(int[] shape, ulong seed)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        var rng = new Rng(seed);
        for (int i = 0; i < s.Length; i += 2)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble(), r = Math.Sqrt(-2 * Math.Log(u1));
            s[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < s.Length) s[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return t;
    }
}
