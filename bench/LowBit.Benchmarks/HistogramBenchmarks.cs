using BenchmarkDotNet.Attributes;
using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Benchmarks;

/// <summary>
/// Calibration cost per activation value: streaming 1 M floats (one 64×128×128 feature map, ≈ 4 MB) into a 2048-bin
/// histogram (the Percentile/Entropy/MSE observers), against the min-max baseline and a fake-quantize pass. Compare
/// the ratios (ns per value = mean / 1 M), not absolute times. Run: <c>dotnet run -c Release -- --filter *Histogram*</c>.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(3)]
[IterationCount(15)]
public class HistogramBenchmarks
{
    public const int Values = 1 << 20;
    private float[] x = [], y = [];
    private Histogram histogram = null!, magnitude = null!;
    private MinMaxObserver minMax = null!;
    private QuantParams int8 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        x = new float[Values];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
        y = new float[Values];
        histogram = new Histogram();
        magnitude = new Histogram(magnitude: true);
        histogram.Add(x);    // range set once: the timed calls measure binning, not growth
        magnitude.Add(x);
        minMax = new MinMaxObserver();
        int8 = Affine.Choose(FormatTable.Get("int8"), QuantScheme.Symmetric, -4, 4);
    }

    [Benchmark(Baseline = true)]
    public void MinMaxObserve() => minMax.Observe(x);

    [Benchmark]
    public void HistogramAdd() => histogram.Add(x);

    [Benchmark]
    public void MagnitudeHistogramAdd() => magnitude.Add(x);

    [Benchmark]
    public void FakeQuantizeInt8() => Affine.FakeQuantize(x, [Values], int8, y);
}
