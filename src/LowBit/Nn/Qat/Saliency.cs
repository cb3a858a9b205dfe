using LowBit.Nn.Training;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Nn.Qat;

/// <summary>
/// Saliency of the quantized weights of a quantization-aware training graph, the ranking that saliency-aware partial
/// retraining selects from (Cao and Aref 2025, "Enhancing Ultra-Low-Bit Quantization of Large Language Models Through
/// Saliency-Aware Partial Retraining", arXiv:2504.13932: spend the retraining on the parameters that matter most).
/// The score is the first-order Taylor estimate of the loss change when a weight is removed, |∂L/∂w · w| (SNIP, Lee et al.
/// 2019, arXiv:1810.02340; Molchanov et al. 2019, arXiv:1906.10771), summed over batches:
/// <code>S_i = Σ_b |∂L_b/∂w_i · w_i|</code>
/// with L_b the mean cross-entropy of batch b through the fake-quantized graph (inference mode: BatchNormalization on running
/// statistics, Dropout off, nothing in the graph updated; weight gradients pass the quantizer straight through, so a weight
/// clipped by its grid scores 0). A layer's saliency is Σ_i S_i over its tensor.
/// </summary>
internal static class Saliency
{
    /// <summary>S per element of every name in <paramref name="weights"/> (same layout as the tensor), over
    /// <paramref name="batches"/> of (inputs, integer class targets) of the graph's first input and output.</summary>
    public static Dictionary<string, float[]> Measure(Graph.Graph g, IReadOnlyList<string> weights,
        IEnumerable<(Tensor Inputs, Tensor Targets)> batches, double labelSmoothing = 0, int threads = 1, CancellationToken cancellation = default,
        Action<int>? batchDone = null)
    {
        var session = new TrainingSession(g, new SessionOptions(threads));
        string input = g.Inputs[0].Name, output = g.Outputs[0].Name;
        var scores = weights.ToDictionary(w => w, w => new float[g.Initializers[w].Length], StringComparer.Ordinal);
        int done = 0;
        foreach (var (x, y) in batches)
        {
            cancellation.ThrowIfCancellationRequested();
            var logits = session.Forward(new Dictionary<string, Tensor> { [input] = x }, training: false, recordTape: true)[output];
            var loss = Losses.CrossEntropy(logits, y, labelSmoothing);
            var grads = session.Backward(new Dictionary<string, Tensor> { [output] = loss.Gradient }, weights);
            session.ClearTape();
            foreach (var name in weights)
            {
                var gw = grads[name].AsReadOnlySpan<float>();
                var w = g.Initializers[name].AsReadOnlySpan<float>();
                var s = scores[name];
                for (int i = 0; i < s.Length; i++) s[i] += MathF.Abs(gw[i] * w[i]);
            }
            batchDone?.Invoke(++done);
        }
        foreach (var (name, s) in scores)
            if (s.Any(v => !float.IsFinite(v)))
                throw new LowBitException(ErrorKind.Numerical, $"the saliency of '{name}' is not finite (a non-finite gradient); try other data or a lower --lr");
        return scores;
    }

    /// <summary>S over the first <paramref name="batches"/> training batches of epoch 0 of the data <paramref name="config"/>
    /// names (its batch size, seed and augmentation, as the trainer would draw them).</summary>
    public static Dictionary<string, float[]> Measure(QatModel qat, TrainingConfig config, int batches, CancellationToken cancellation = default,
        Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        var data = TrainingData.Open(config);
        data.CheckModel(qat.TrainingGraph);
        int count = Math.Min(batches, data.BatchesPerEpoch);
        return Measure(qat.TrainingGraph, qat.WeightNames,
            data.Epoch(0, 0, count).Select(b => (b.Inputs, b.Targets)), config.LabelSmoothing, config.Threads, cancellation,
            d => progress?.Invoke(d, count));
    }
}
