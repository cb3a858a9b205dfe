using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>
/// Layer relevance by layer-wise relevance propagation, for LRP-QViT-style mixed precision (Ranjan &amp; Savakis 2024,
/// "LRP-QViT: Mixed-Precision Vision Transformer Quantization via Layer-wise Relevance Propagation": a layer's share of
/// the relevance of the predicted class's logit sets its share of the bits).
/// <para>Neuron relevance: the ε-rule with ε → 0 (LRP-0) in its gradient×input form, R_i = a_i · ∂y_c/∂a_i, where a is
/// the layer's output (the Conv/Gemm/MatMul node's output value, before bias-free activations such as ReLU) and y_c the
/// logit of the target class c (the model's prediction, or the label). For networks of ReLU, max-pooling and linear maps
/// LRP-0 and gradient×input coincide (Ancona et al. 2018, ICLR, "Towards better understanding of gradient-based
/// attribution methods for deep neural networks"); both come from one reverse-mode pass of LowBit's autograd
/// (<see cref="TrainingSession.Backward"/> returns ∂y/∂v for any value v of the tape, intermediate ones included).</para>
/// <para>Why the layer's output: the weights' quantization error enters the network there (δz = δW·x), so the relevance
/// of z's neurons is what couples that layer's error to the decision; the relevance at its input belongs to the layer
/// before. Conservation: a network without biases built from ReLU, max-pooling and linear maps is positively homogeneous
/// of degree 1 in any layer's output, so Euler's theorem gives Σ_i R_i = y_c exactly at every layer (biases absorb the
/// rest, a softmax would break it: the target is the logit).</para>
/// <para>Layer score: R_l = (1/S) Σ_s Σ_i |R_{s,i}|, normalized so Σ_l R_l = 1. The sum of absolute neuron relevances, not
/// the absolute sum |Σ_i R_i|: by the conservation above the signed sum is the same y_c at every layer of a bias-free
/// ReLU network (and differs between layers only by bias terms otherwise), so it cannot rank layers; the absolute sum
/// counts the evidence a layer carries for and against the class, which cancels in y_c but is what a perturbation of
/// the layer disturbs.</para>
/// </summary>
internal static class LayerRelevance
{
    /// <summary>The layers scored: Conv/ConvTranspose/Gemm/MatMul nodes whose second input is a float32 initializer,
    /// as (node key = <see cref="Graph.Node.DisplayName"/>, output value), in graph order.</summary>
    public static List<(string Node, string Output)> Layers(Graph.Graph prepared) =>
        prepared.Nodes.Where(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Inputs.Count > 1 && n.Outputs.Count > 0
                && prepared.Initializers.TryGetValue(n.Inputs[1], out var w) && w.DType == DType.Float32)
            .Select(n => (n.DisplayName, n.Outputs[0])).ToList();

    /// <summary>
    /// Mean layer relevances of <paramref name="prepared"/> (the BatchNorm-folded graph from <c>GraphPreparation.Run</c>,
    /// one output: logits [N, C]) over <paramref name="batches"/>: targets from the int64 tensor [N] named
    /// <paramref name="targetsName"/>, or the model's argmax when it is null. One forward with the tape and one backward per
    /// batch (rows are independent in the inference function, so the gradient of Σ_s y_{c_s} gives each row its own
    /// ∂y_{c_s}/∂a_s). Memory: one batch's activations.
    /// </summary>
    public static RelevanceStats Compute(Graph.Graph prepared, IEnumerable<IReadOnlyDictionary<string, Tensor>> batches, string? targetsName,
        int threads = 0, IProgress<(long Done, long Total)>? progress = null, CancellationToken cancel = default)
    {
        var layers = Layers(prepared);
        if (layers.Count == 0) throw new LowBitException(ErrorKind.Usage, $"lrp: '{prepared.Name}' has no Conv/Gemm/MatMul layer with float32 weights");
        var session = Session(prepared, threads);
        var abs = new double[layers.Count];
        var signed = new double[layers.Count];
        long samples = 0, done = 0, total = batches is IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>> known ? known.Count : 0;
        foreach (var batch in batches)
        {
            cancel.ThrowIfCancellationRequested();
            var maps = Maps(session, layers, batch, targetsName, out var logits);
            int n = logits.Shape[0];
            for (int l = 0; l < layers.Count; l++)
            {
                var r = maps[layers[l].Output].AsReadOnlySpan<float>();
                double a = 0, s = 0;
                foreach (float x in r) { a += Math.Abs(x); s += x; }
                abs[l] += a;
                signed[l] += s;
            }
            samples += n;
            progress?.Report((++done, total));
        }
        if (samples == 0) throw new LowBitException(ErrorKind.InvalidInput, "lrp got no samples");
        double sum = abs.Sum();
        var keys = layers.Select(l => l.Node).ToList();
        return new RelevanceStats(
            keys.Select((k, l) => (k, sum > 0 ? abs[l] / sum : 0)).ToDictionary(x => x.k, x => x.Item2, StringComparer.Ordinal),
            keys.Select((k, l) => (k, abs[l] / samples)).ToDictionary(x => x.k, x => x.Item2, StringComparer.Ordinal),
            keys.Select((k, l) => (k, signed[l] / samples)).ToDictionary(x => x.k, x => x.Item2, StringComparer.Ordinal),
            samples);
    }

    /// <summary>A session running the inference function with the tape (BatchNormalization with running statistics,
    /// Dropout the identity).</summary>
    internal static TrainingSession Session(Graph.Graph prepared, int threads)
    {
        if (prepared.Outputs.Count != 1)
            throw new LowBitException(ErrorKind.Usage, $"lrp needs a model with one output (logits [N, C]); '{prepared.Name}' has {prepared.Outputs.Count}");
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 0 (0 = all cores)");
        return new TrainingSession(prepared, threads == 0 ? new SessionOptions() : new SessionOptions(threads));
    }

    /// <summary>Per layer output value: the relevance map R = a ⊙ ∂(Σ_s y_{c_s})/∂a (a's shape) of one batch, and the
    /// batch's logits [N, C].</summary>
    internal static Dictionary<string, Tensor> Maps(TrainingSession session, IReadOnlyList<(string Node, string Output)> layers,
        IReadOnlyDictionary<string, Tensor> batch, string? targetsName, out Tensor logits)
    {
        string output = session.Graph.Outputs[0].Name;
        var names = layers.Select(l => l.Output).ToList();
        var values = session.Forward(batch, training: false, outputNames: names, recordTape: true);
        logits = values[output];
        if (logits.Rank != 2 || logits.DType != DType.Float32)
        {
            session.ClearTape();
            throw new LowBitException(ErrorKind.Usage, $"lrp needs float32 classification logits [N, C]; output '{output}' is {logits.DType.Name()} {logits.ShapeString}");
        }
        var targets = Targets(logits, targetsName is null ? null : batch.TryGetValue(targetsName, out var t) ? t
            : throw new LowBitException(ErrorKind.InvalidInput, $"a batch has no targets tensor '{targetsName}'"));
        int c = logits.Shape[1];
        var seed = new float[logits.Length];
        for (int s = 0; s < targets.Length; s++) seed[s * c + targets[s]] = 1f;
        var grads = session.Backward(new Dictionary<string, Tensor> { [output] = Tensor.FromArray(seed, logits.Shape) }, names);
        session.ClearTape();
        var maps = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var a = values[name].AsReadOnlySpan<float>();
            var r = grads[name].AsReadOnlySpan<float>().ToArray();
            System.Numerics.Tensors.TensorPrimitives.Multiply(r, a, r);
            maps[name] = Tensor.FromArray(r, values[name].Shape);
        }
        return maps;
    }

    /// <summary>The target class of each row: <paramref name="labels"/> [N] when given, else the logits' argmax.</summary>
    internal static int[] Targets(Tensor logits, Tensor? labels)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        if (labels is not null)
        {
            if (labels.Rank != 1 || labels.Shape[0] != n)
                throw new LowBitException(ErrorKind.InvalidInput, $"targets must have shape [{n}], got {labels.ShapeString}");
            return labels.ToInt64Array().Select(y => y >= 0 && y < c ? (int)y
                : throw new LowBitException(ErrorKind.InvalidInput, $"target {y} is outside the {c} classes")).ToArray();
        }
        var z = logits.AsReadOnlySpan<float>();
        var y = new int[n];
        for (int s = 0; s < n; s++)
        {
            var row = z.Slice(s * c, c);
            for (int j = 1; j < c; j++) if (row[j] > row[y[s]]) y[s] = j;
        }
        return y;
    }

    /// <summary>
    /// The per-format score the allocator sums: <c>R_l · N_l(f)</c>, the layer's normalized relevance times its measured
    /// single-layer output noise power at format f (<see cref="LayerScore.Noise"/> = 10^(−SQNR/10), only that layer
    /// quantized): relevance weights the damage by how much of the decision passes through the layer, and the product stays
    /// additive over layers like the noises themselves. Chosen over R_l · ‖Ŵ − W‖²/‖W‖² (the relative weight error power,
    /// which needs no quantized run) by rank agreement with measured single-layer loss increases (docs/mixed-precision.md):
    /// fashion-cnn int4 ρ 0.49 against 0.09, int2 1.00 against 0.66; vit-tiny weight-only int4 0.21 against 0.09, int2 0.39
    /// against 0.32.
    /// </summary>
    public static double Score(double relevance, double noise) => relevance * noise;
}

/// <summary>What <see cref="LayerRelevance.Compute"/> found, per layer key. <see cref="Normalized"/>: R_l / Σ R (sums to 1);
/// <see cref="Absolute"/>: R_l = mean over samples of Σ_i |a_i ∂y_c/∂a_i|; <see cref="Signed"/>: mean of Σ_i a_i ∂y_c/∂a_i
/// (equals the mean target logit at every layer of a bias-free ReLU network: the conservation check).</summary>
internal sealed record RelevanceStats(IReadOnlyDictionary<string, double> Normalized, IReadOnlyDictionary<string, double> Absolute,
    IReadOnlyDictionary<string, double> Signed, long Samples);
