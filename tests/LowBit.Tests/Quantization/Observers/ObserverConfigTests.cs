using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class ObserverConfigTests
{
    [Theory]
    [InlineData("minmax", typeof(ObserverConfig.MinMax), typeof(MinMaxObserver))]
    [InlineData("MinMax", typeof(ObserverConfig.MinMax), typeof(MinMaxObserver))]
    [InlineData("moving-average", typeof(ObserverConfig.MovingAverage), typeof(MovingAverageMinMaxObserver))]
    [InlineData("percentile", typeof(ObserverConfig.Percentile), typeof(PercentileObserver))]
    [InlineData("entropy", typeof(ObserverConfig.Entropy), typeof(EntropyObserver))]
    [InlineData(" mse ", typeof(ObserverConfig.Mse), typeof(MseObserver))]
    public void Parse_KnownNames_CreateTheirObserver(string text, Type config, Type observer)
    {
        var c = ObserverConfig.Parse(text);
        Assert.IsType(config, c);
        Assert.IsType(observer, c.Create(FormatTable.Get("int8"), QuantScheme.Symmetric));
        Assert.Equal(c, ObserverConfig.Parse(c.ToString()));  // names round-trip
    }

    [Fact]
    public void Parse_Arguments_Applied()
    {
        Assert.Equal(99.9, Assert.IsType<ObserverConfig.Percentile>(ObserverConfig.Parse("percentile:99.9")).Value);
        Assert.Equal(99.99, Assert.IsType<ObserverConfig.Percentile>(ObserverConfig.Parse("percentile")).Value);
        Assert.Equal(0.05, Assert.IsType<ObserverConfig.MovingAverage>(ObserverConfig.Parse("moving-average:0.05")).Momentum);
    }

    [Theory]
    [InlineData("histogram", "unknown observer")]
    [InlineData("percentile:abc", "not a number")]
    [InlineData("percentile:101", "(50, 100]")]
    [InlineData("percentile:NaN", "not a number")]
    [InlineData("moving-average:0", "(0, 1]")]
    [InlineData("entropy:3", "takes no argument")]
    public void Parse_BadInput_UsageErrorNamingTheProblem(string text, string fragment)
    {
        var e = Assert.Throws<LowBitException>(() => ObserverConfig.Parse(text));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        if (fragment == "unknown observer")
            foreach (var n in new[] { "minmax", "moving-average", "percentile", "entropy", "mse" }) Assert.Contains(n, e.Message);
    }

    [Fact]
    public void Constructors_InvalidValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ObserverConfig.Percentile(50));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ObserverConfig.MovingAverage(-0.1));
    }
}
