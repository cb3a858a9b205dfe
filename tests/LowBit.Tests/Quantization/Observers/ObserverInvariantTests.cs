using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

/// <summary>
/// Invariants every observer keeps on the distributions that broke calibration on real models (issue 8): the range
/// contains 0, and it covers the bulk, the 0.1 %–99.9 % quantiles of the data (an observer may trade away rare
/// outliers, never the body). Values arrive in chunks of 10,000 so histograms regrid and moving averages average.
/// </summary>
public class ObserverInvariantTests
{
    private const int N = 200_000, Chunk = 10_000;

    /// <summary>The synthetic distributions by name (seeded).</summary>
    internal static float[] Make(string name)
    {
        var r = new Random(name.Length * 7919 + name[0]);
        var normal = Distributions.Normal(N, name.Length);
        return name switch
        {
            // post-ReLU: half the values exactly 0, half-normal tail
            "one-sided" => normal.Select(v => Math.Max(v, 0f)).ToArray(),
            // 60 % one value away from 0 (a conv's output over a uniform background), the rest a wide half-normal
            "spiky" => normal.Select(v => r.NextDouble() < 0.6 ? 0.6f : 2 * Math.Abs(v)).ToArray(),
            // Cauchy: tails so heavy that min-max is thousands of times the interquartile range
            "heavy-tailed" => Enumerable.Range(0, N).Select(_ => (float)Math.Tan(Math.PI * (r.NextDouble() - 0.5) * 0.999999)).ToArray(),
            "constant" => Enumerable.Repeat(0.354f, N).ToArray(),
            // a variance-like tensor: width 0.003 at 1.01, far from 0
            "near-constant" => Enumerable.Range(0, N).Select(_ => 1.009f + 0.003f * (float)r.NextDouble()).ToArray(),
            "near-constant-negative" => Enumerable.Range(0, N).Select(_ => -1.012f + 0.003f * (float)r.NextDouble()).ToArray(),
            _ => throw new ArgumentException(name),
        };
    }

    private static readonly string[] Shapes = ["one-sided", "spiky", "heavy-tailed", "constant", "near-constant", "near-constant-negative"];
    private static readonly string[] Observers = ["minmax", "moving-average", "percentile", "entropy", "mse"];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var shape in Shapes)
            foreach (var observer in Observers)
                foreach (var format in new[] { "uint8", "int8" })
                    data.Add(shape, observer, format);
        return data;
    }

    private static ObservedRange Observe(string observer, string format, float[] x)
    {
        var scheme = format == "int8" ? QuantScheme.Symmetric : QuantScheme.Asymmetric;
        var o = ObserverConfig.Parse(observer).Create(FormatTable.Get(format), scheme);
        for (int i = 0; i < x.Length; i += Chunk) o.Observe(x.AsSpan(i, Chunk));
        return o.Compute();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compute_SyntheticDistribution_ContainsZeroAndTheBulk(string shape, string observer, string format)
    {
        var x = Make(shape);
        var r = Observe(observer, format, x);
        var sorted = x.Order().ToArray();
        float lo = Math.Min(0, sorted[(int)(0.001 * N)]), hi = Math.Max(0, sorted[(int)(0.999 * N) - 1]);
        // Histograms resolve 2048 bins over up to twice the data's magnitude (two bins of slack), and MSE may stop one
        // grid step short of an end where a grid point then lands on dense data.
        float magnitude = Math.Max(Math.Abs(sorted[0]), Math.Abs(sorted[^1]));
        float slack = Math.Max(2 * 2 * magnitude / 2048, magnitude / (format == "int8" ? 127 : 255));
        Assert.True(r.Min <= 0 && r.Max >= 0, $"{shape} {observer} {format}: [{r.Min}, {r.Max}] misses 0");
        Assert.True(r.Min <= lo + slack && r.Max >= hi - slack, $"{shape} {observer} {format}: [{r.Min}, {r.Max}] clips the bulk [{lo}, {hi}]");
        Assert.True(r.Min >= sorted[0] - slack || r.Min == 0, $"{shape} {observer} {format}: min {r.Min} below the data ({sorted[0]})");
        Assert.True(r.Max <= sorted[^1] + slack || r.Max == 0, $"{shape} {observer} {format}: max {r.Max} above the data ({sorted[^1]})");
    }

    [Theory]
    [InlineData("constant", 0f, 0.354f)]
    [InlineData("near-constant", 0f, 1.012f)]
    [InlineData("near-constant-negative", -1.012f, 0f)]
    public void Compute_NarrowRangeAwayFromZero_EveryObserverKeepsAllOfIt(string shape, float min, float max)
    {
        var x = Make(shape);
        foreach (var observer in Observers)
            foreach (var format in new[] { "uint8", "int8" })
            {
                var r = Observe(observer, format, x);
                // one int8 step of the range: MSE may align a grid point with the data instead of its end
                float step = Math.Max(-min, max) / 127;
                Assert.True(Math.Abs(r.Min - min) <= step && Math.Abs(r.Max - max) <= step,
                    $"{shape} {observer} {format}: [{r.Min}, {r.Max}], expected [{min}, {max}]");
            }
    }

    [Fact]
    public void Entropy_SpikeAwayFromZero_KeepsTheTail()
    {
        // The fashion-cnn collapse: KL alone clips this shape far inside its bulk (measured 1.8 with q999 = 6.0).
        var x = Make("spiky");
        var r = Observe("entropy", "uint8", x);
        float q999 = x.Order().ElementAt((int)(0.999 * N));
        var o = new EntropyObserver(FormatTable.Get("uint8"), QuantScheme.Asymmetric);
        for (int i = 0; i < x.Length; i += Chunk) o.Observe(x.AsSpan(i, Chunk));
        double kl = EntropyObserver.BestBinCount(EntropyObserver.WithoutZeroSpike(o.Histogram.Counts), 256) * o.Histogram.Width;
        Assert.True(kl < 0.5 * q999, $"KL alone picks {kl}: this data no longer shows the collapse the floor guards against");
        Assert.InRange(r.Max, q999 * 0.99f, x.Max());
    }

    [Fact]
    public void ObservedRange_ExcludingZero_IsWidenedToContainIt()
    {
        Assert.Equal((0f, 3f), (new ObservedRange(2, 3, 1, []).Min, new ObservedRange(2, 3, 1, []).Max));
        Assert.Equal((-3f, 0f), (new ObservedRange(-3, -2, 1, []).Min, new ObservedRange(-3, -2, 1, []).Max));
    }
}
