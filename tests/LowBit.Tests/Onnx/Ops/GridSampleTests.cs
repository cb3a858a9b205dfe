using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// GridSample against ONNX Runtime over every mode × padding_mode × align_corners combination (the node tests cover
/// a few), with grid points up to 3× outside [−1, 1] so border clamping and multi-period reflection run, plus opset 20's
/// mode names and 3-D volumes. Tolerance 1e-5 of the range: ONNX Runtime interpolates in float32.
/// </summary>
public class GridSampleTests
{
    private static readonly Tensor X2 = RandomTensors.Floats(new Random(21), -2, 2, 2, 3, 5, 7);

    public static TheoryData<string, string, long> Combinations()
    {
        var d = new TheoryData<string, string, long>();
        foreach (var mode in new[] { "bilinear", "nearest", "bicubic" })
            foreach (var pad in new[] { "zeros", "border", "reflection" })
                foreach (long align in new long[] { 0, 1 })
                    d.Add(mode, pad, align);
        return d;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void GridSample_AllModes_MatchOnnxRuntime(string mode, string padding, long align)
    {
        var grid = RandomTensors.Floats(new Random(mode.Length * 7 + padding.Length), -3, 3, 2, 6, 9, 2);
        Check("GridSample", 16, [NodeInput.Fed("x", X2), NodeInput.Fed("g", grid)], [DType.Float32], 1e-5,
            ("mode", mode), ("padding_mode", padding), ("align_corners", align));
    }

    [Fact]
    public void GridSample_NearestAtPixelCentres_CopiesPixels()
    {
        // align_corners=0: g = (2i + 1)/n − 1 is the centre of pixel i, so nearest (and linear) sampling is a copy.
        var x = Iota(1, 1, 2, 4);
        var g = Tensor.Zeros(DType.Float32, 1, 2, 4, 2);
        var s = g.AsSpan<float>();
        for (int yy = 0; yy < 2; yy++)
            for (int xx = 0; xx < 4; xx++)
            {
                s[(yy * 4 + xx) * 2] = (2 * xx + 1) / 4f - 1;
                s[(yy * 4 + xx) * 2 + 1] = (2 * yy + 1) / 2f - 1;
            }
        foreach (var mode in new[] { "nearest", "bilinear" })
        {
            var y = Ours("GridSample", 16, [NodeInput.Fed("x", x), NodeInput.Fed("g", g)], 1, ("mode", mode))[0];
            Assert.Equal(x.ToFloatArray(), y.ToFloatArray());
        }
    }

    [Theory]
    [InlineData("linear", "zeros")]
    [InlineData("cubic", "reflection")]
    [InlineData("nearest", "border")]
    public void GridSample_Opset20TwoD_MatchesOnnxRuntime(string mode, string padding)
    {
        var grid = RandomTensors.Floats(new Random(5), -1.5f, 1.5f, 2, 4, 3, 2);
        Check("GridSample", 20, [NodeInput.Fed("x", X2), NodeInput.Fed("g", grid)], [DType.Float32], 1e-5, ("mode", mode), ("padding_mode", padding));
    }

    [Theory]
    [InlineData("linear", "zeros", 0L)]
    [InlineData("linear", "reflection", 1L)]
    [InlineData("nearest", "border", 0L)]
    public void GridSample_Opset20Volume_MatchesOnnxRuntime(string mode, string padding, long align)
    {
        var x = RandomTensors.Floats(new Random(6), -1, 1, 1, 2, 4, 5, 3);
        var grid = RandomTensors.Floats(new Random(7), -1.4f, 1.4f, 1, 3, 2, 4, 3);
        Check("GridSample", 20, [NodeInput.Fed("x", x), NodeInput.Fed("g", grid)], [DType.Float32], 1e-5,
            ("mode", mode), ("padding_mode", padding), ("align_corners", align));
    }

    [Fact]
    public void GridSample_GridBatchMismatch_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("GridSample", 16, [NodeInput.Fed("x", X2), NodeInput.Fed("g", Iota(1, 2, 2, 2))], 1));
        Assert.Contains("grid must be [2,", e.Message);
    }
}
