using LowBit.Cli.Tuning;

namespace LowBit.Cli.Tests.Tuning;

public class TuneSpaceTests
{
    [Fact]
    public void Default_GridSize_IsTheProductAndWithinTheDocumentedRange()
    {
        var grid = TuneSpace.Default.Grid();
        Assert.Equal(96, grid.Count);
        Assert.Equal(grid.Count, grid.Select(c => c.Key).Distinct().Count());
    }

    [Fact]
    public void Grid_LastDimensionVariesFastest_FixedOrder()
    {
        var space = TuneSpace.Parse("observer=minmax,mse;exclude=none,first", TuneSpace.Default);
        var grid = space.Grid();
        Assert.Equal(2 * 2 * 2 * 1 * 2 * 2, grid.Count);
        Assert.Equal(["none", "first"], grid.Take(2).Select(c => c.Get("exclude")));
        Assert.All(grid.Take(grid.Count / 2), c => Assert.Equal("minmax", c.Get("observer")));
        Assert.Equal(grid.Select(c => c.Key), space.Grid().Select(c => c.Key));
    }

    [Fact]
    public void ParseKey_AnyDimensionOrder_RoundTripsToTheSameConfig()
    {
        var c = TuneSpace.Default.Grid()[37];
        var shuffled = string.Join(';', c.Key.Split(';').Reverse());
        var parsed = TuneSpace.ParseKey(shuffled.ToUpperInvariant(), "--trial");
        Assert.Equal(c, parsed);
        Assert.Equal(c.Key, parsed.Key);
        Assert.True(TuneSpace.Default.Contains(parsed));
    }

    [Theory]
    [InlineData("observer=minmax", "missing granularity")]
    [InlineData("observer=minmax;observer=mse", "each dimension once")]
    [InlineData("colour=red", "each dimension once")]
    public void ParseKey_Malformed_UsageErrorNamingTheFlag(string key, string message)
    {
        var e = Assert.Throws<LowBitException>(() => TuneSpace.ParseKey(key, "--trial"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.StartsWith("--trial ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("colour=red", "dimensions: observer")]
    [InlineData("observer=", "no values")]
    [InlineData("observer=mse,mse", "twice")]
    [InlineData("exclude=middle", "unknown exclusion 'middle'")]
    [InlineData("observer=mse;observer=minmax", "given twice")]
    public void Parse_BadSpace_UsageError(string spec, string message)
    {
        var e = Assert.Throws<LowBitException>(() => TuneSpace.Parse(spec, TuneSpace.Default));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Features_OneIndicatorPerValueOfVaryingDimensions()
    {
        var space = TuneSpace.Parse("observer=minmax,mse,percentile;granularity=per-channel;weight-range=mse;bias-correction=none;exclude=none,first", TuneSpace.Default);
        var c = space.Grid().Single(x => x.Get("observer") == "mse" && x.Get("exclude") == "first");
        Assert.Equal([0f, 1f, 0f, 0f, 1f], space.Features(c));
    }

    [Fact]
    public void Excluded_FirstLast_NamesTheWeightedLayersInGraphOrder()
    {
        string[] layers = ["conv1", "conv2", "fc"];
        Assert.Empty(TuneFlags.Excluded("none", layers));
        Assert.Equal(["conv1"], TuneFlags.Excluded("first", layers));
        Assert.Equal(["fc"], TuneFlags.Excluded("last", layers));
        Assert.Equal(["conv1", "fc"], TuneFlags.Excluded("first+last", layers));
    }
}
