using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// The first <see cref="Limit"/> calibration samples, kept for the weight algorithms' repeated passes while calibration
/// streams the data once (<see cref="Tee"/>), or read directly where no calibration runs (<see cref="Fill"/>). Memory is
/// Limit samples of model input, whatever the data set's size.
/// </summary>
internal sealed class KeptSamples(int limit)
{
    private readonly List<IReadOnlyDictionary<string, Tensor>> samples = new();

    public int Limit { get; } = limit;
    public IReadOnlyList<IReadOnlyDictionary<string, Tensor>> Samples => samples;

    /// <summary>Passes every sample through, keeping the first <see cref="Limit"/>.</summary>
    public IEnumerable<IReadOnlyDictionary<string, Tensor>> Tee(IEnumerable<IReadOnlyDictionary<string, Tensor>> data)
    {
        foreach (var s in data)
        {
            if (samples.Count < Limit) samples.Add(Copy(s));
            yield return s;
        }
    }

    /// <summary>Reads up to <see cref="Limit"/> samples (and at most <paramref name="max"/>) when nothing was teed.</summary>
    public void Fill(IEnumerable<IReadOnlyDictionary<string, Tensor>> data, int? max)
    {
        if (samples.Count > 0) return;
        foreach (var s in data)
        {
            if (samples.Count >= Math.Min(Limit, max ?? int.MaxValue)) break;
            samples.Add(Copy(s));
        }
    }

    /// <summary>A copy: a data source may reuse its buffers for the next sample.</summary>
    private static Dictionary<string, Tensor> Copy(IReadOnlyDictionary<string, Tensor> s) => s.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
}
