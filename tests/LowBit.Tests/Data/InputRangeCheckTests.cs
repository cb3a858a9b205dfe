using LowBit.Data;

namespace LowBit.Tests.Data;

public class InputRangeCheckTests
{
    private static InputRange Range(float min, float max, bool integral = false, long count = 100_000) => new("input", min, max, integral, count);

    [Fact]
    public void Compare_SameRange_NoWarning() =>
        Assert.Null(InputRangeCheck.Compare(Range(0, 1), Range(0, 0.98f), "fashion-mnist:train[0:256]", "fashion-mnist:test"));

    [Fact]
    public void Compare_UnscaledBytePixels_NamesTheCause()
    {
        string? w = InputRangeCheck.Compare(Range(0, 1), Range(0, 255, integral: true), "fashion-mnist:train[0:256]", "npy=x.npy");
        Assert.NotNull(w);
        Assert.Contains("[0, 255]", w);
        Assert.Contains("calibrated on [0, 1]", w);
        Assert.Contains("Divide by 255", w);
    }

    [Fact]
    public void Compare_DifferentNormalization_Warns()
    {
        // calibrated with the imagenet preset ((x − mean)/std: about [−2.1, 2.6]), evaluated on [0, 1] pixels
        string? w = InputRangeCheck.Compare(Range(-2.118f, 2.64f), Range(0, 1), "images=cal", "images=eval");
        Assert.Contains("same preprocessing", w);
        // and the other way round: far beyond the calibrated range
        Assert.NotNull(InputRangeCheck.Compare(Range(0, 1), Range(-2.118f, 2.64f), null, "images=eval"));
    }

    [Fact]
    public void Compare_SlightlyWider_WithinTolerance() =>
        Assert.Null(InputRangeCheck.Compare(Range(-1, 1), Range(-1.4f, 1.3f), null, "x"));

    [Fact]
    public void Recorder_IntegersAndFloats_TracksRangeAndIntegrality()
    {
        var r = new InputRangeCheck.Recorder();
        r.Add("a", [0f, 255f, 17f, float.NaN]);
        r.Add("b", [0.5f, -1f]);
        var ranges = r.Ranges.ToDictionary(x => x.Name);
        Assert.Equal(new InputRange("a", 0, 255, true, 3), ranges["a"]);
        Assert.Equal(new InputRange("b", -1, 0.5f, false, 2), ranges["b"]);
    }
}
