using LowBit.Reports.Metrics;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>One tensor's statistics over every element of every sample run: max |x| (the ‖x‖∞ of the paper) and the
/// Pearson kurtosis n·M₄/M₂² (3 for Gaussian values; outlier channels push it far higher).</summary>
public sealed record OutlierStats(string Tensor, OutlierRole Role, long Elements, double MaxAbs, double Mean, double Std, double Kurtosis);

/// <summary>Outlier statistics of a model over data. Summaries: max |x| over all measured tensors, and the FFN outputs'
/// max |x|, mean and max kurtosis (Bondarenko et al. 2023 report max ‖x‖∞ and kurtosis averaged over layers).</summary>
public sealed record OutlierReport(long Samples, IReadOnlyList<OutlierStats> Tensors)
{
    public double MaxAbs => Tensors.Count == 0 ? double.NaN : Tensors.Max(t => t.MaxAbs);
    public double FfnMaxAbs => Of(OutlierRole.Ffn).Select(t => t.MaxAbs).DefaultIfEmpty(double.NaN).Max();
    public double FfnMeanKurtosis => Of(OutlierRole.Ffn).Select(t => t.Kurtosis).DefaultIfEmpty(double.NaN).Average();
    public double FfnMaxKurtosis => Of(OutlierRole.Ffn).Select(t => t.Kurtosis).DefaultIfEmpty(double.NaN).Max();

    private IEnumerable<OutlierStats> Of(OutlierRole r) => Tensors.Where(t => t.Role == r);
}

/// <summary>
/// Measures activation outliers (Bondarenko et al. 2023, "Quantizable Transformers", arXiv:2306.12929): runs the graph over
/// batches in LowBit's <see cref="Session"/> with a value hook and streams each watched float32 tensor into
/// <see cref="Moments"/> (memory independent of the number of samples).
/// </summary>
public static class ActivationOutliers
{
    /// <param name="tensors">Values to watch (default <see cref="OutlierTensors.Find"/>); a name the graph does not produce
    /// is an error naming it.</param>
    public static OutlierReport Measure(Graph.Graph graph, IEnumerable<IReadOnlyDictionary<string, Tensor>> batches,
        IReadOnlyList<OutlierTensor>? tensors = null, int threads = 1, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        tensors ??= OutlierTensors.Find(graph);
        var produced = graph.Producers();
        foreach (var t in tensors)
            if (!produced.ContainsKey(t.Name) && !graph.Inputs.Any(v => v.Name == t.Name))
                throw new LowBitException(ErrorKind.Usage, $"tensor '{t.Name}': no node of {graph.Name} produces it");
        var moments = tensors.DistinctBy(t => t.Name).ToDictionary(t => t.Name, _ => new Moments(), StringComparer.Ordinal);
        var session = new Session(graph, new SessionOptions(threads));
        session.AddHook((name, _, value) =>
        {
            if (moments.TryGetValue(name, out var m) && value.DType == DType.Float32) m.Add(value.AsReadOnlySpan<float>());
            return null;
        });
        string output = graph.Outputs[0].Name;
        long samples = 0;
        foreach (var batch in batches)
        {
            cancellation.ThrowIfCancellationRequested();
            session.Run(batch, [output]);
            samples += batch.Values.FirstOrDefault() is { Rank: > 0 } x ? x.Shape[0] : 1;
            progress?.Report(samples);
        }
        var stats = tensors.DistinctBy(t => t.Name).Select(t =>
        {
            var m = moments[t.Name];
            return new OutlierStats(t.Name, t.Role, m.Count, m.MaxAbs, m.Mean, Math.Sqrt(m.Variance), m.Kurtosis);
        }).ToList();
        return new OutlierReport(samples, stats);
    }
}
