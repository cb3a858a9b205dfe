using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Resize on random data against ONNX Runtime. Nearest moves elements and must match bit-exactly; linear and cubic
/// within 1e-5 of the output range (ONNX Runtime computes coordinates and weights in float32, LowBit in float64).
/// </summary>
public class ResizeTests
{
    private static readonly Tensor X = RandomTensors.Floats(new Random(11), -2, 2, 2, 3, 5, 7);
    private static readonly Tensor Up = Tensor.FromArray(new[] { 1f, 1f, 1.7f, 2.3f }, 4);
    private static readonly Tensor Down = Tensor.FromArray(new[] { 1f, 1f, 0.6f, 0.45f }, 4);

    private static void Resize(long opset, Tensor? scales, Tensor? sizes, double tol, params (string, object)[] attrs) =>
        Check("Resize", opset, [NodeInput.Fed("x", X), null, scales is null ? null : NodeInput.Const("scales", scales),
            sizes is null ? null : NodeInput.Const("sizes", sizes)], [DType.Float32], tol, attrs);

    public static TheoryData<string, string, bool> NearestCases()
    {
        var d = new TheoryData<string, string, bool>();
        foreach (var nm in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" })
            foreach (var ct in new[] { "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn" })
                foreach (bool up in new[] { true, false })
                    d.Add(nm, ct, up);
        return d;
    }

    [Theory]
    [MemberData(nameof(NearestCases))]
    public void Nearest_AllModes_MatchOnnxRuntimeExactly(string nearestMode, string coordinates, bool up)
    {
        // align_corners uses the fractional length n·scale (ONNX reference) where ONNX Runtime uses ⌊n·scale⌋: compare sizes.
        if (coordinates == "align_corners")
            Resize(13, null, up ? Longs(2, 3, 9, 16) : Longs(2, 3, 3, 3), 0, ("mode", "nearest"), ("nearest_mode", nearestMode), ("coordinate_transformation_mode", coordinates));
        else
            Resize(13, up ? Up : Down, null, 0, ("mode", "nearest"), ("nearest_mode", nearestMode), ("coordinate_transformation_mode", coordinates));
    }

    [Theory]
    [InlineData("half_pixel")]
    [InlineData("asymmetric")]
    [InlineData("align_corners")]
    [InlineData("pytorch_half_pixel")]
    public void Linear_Sizes_MatchOnnxRuntime(string coordinates)
    {
        Resize(13, null, Longs(2, 3, 9, 4), 1e-5, ("mode", "linear"), ("coordinate_transformation_mode", coordinates));
        Resize(13, null, Longs(2, 3, 3, 11), 1e-5, ("mode", "linear"), ("coordinate_transformation_mode", coordinates));
    }

    [Theory]
    [InlineData("half_pixel")]
    [InlineData("asymmetric")]
    [InlineData("pytorch_half_pixel")]
    public void Linear_Scales_MatchOnnxRuntime(string coordinates)
    {
        Resize(13, Up, null, 1e-5, ("mode", "linear"), ("coordinate_transformation_mode", coordinates));
        Resize(13, Down, null, 1e-5, ("mode", "linear"), ("coordinate_transformation_mode", coordinates));
    }

    [Theory]
    [InlineData(-0.75f, 0L, "half_pixel", true)]
    [InlineData(-0.5f, 1L, "half_pixel", true)]
    [InlineData(-0.75f, 0L, "align_corners", false)]
    [InlineData(-0.5f, 0L, "asymmetric", true)]
    public void Cubic_MatchesOnnxRuntime(float a, long excludeOutside, string coordinates, bool withScales)
    {
        // align_corners uses the fractional length n·scale (ONNX reference) where ONNX Runtime uses ⌊n·scale⌋: compare sizes only.
        if (withScales) Resize(13, Up, null, 1e-5, ("mode", "cubic"), ("cubic_coeff_a", a), ("exclude_outside", excludeOutside), ("coordinate_transformation_mode", coordinates));
        Resize(13, null, Longs(2, 3, 3, 4), 1e-5, ("mode", "cubic"), ("cubic_coeff_a", a), ("exclude_outside", excludeOutside), ("coordinate_transformation_mode", coordinates));
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("cubic")]
    public void Antialias_Downsample_MatchesOnnxRuntime(string mode) =>
        Resize(18, Down, null, 1e-5, ("mode", mode), ("antialias", 1L));

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void HalfPixelSymmetric_MatchesOnnxRuntime(string mode) =>
        Resize(19, Down, null, mode == "nearest" ? 0 : 1e-5, ("mode", mode), ("coordinate_transformation_mode", "half_pixel_symmetric"));

    [Theory]
    [InlineData("not_larger")]
    [InlineData("not_smaller")]
    public void KeepAspectRatio_WithAxes_MatchesOnnxRuntime(string policy) =>
        Resize(18, null, Longs(9, 9), 1e-5, ("mode", "linear"), ("axes", new long[] { 2, 3 }), ("keep_aspect_ratio_policy", policy));

    [Fact]
    public void TfCropAndResize_Extrapolates_MatchesOnnxRuntime() =>
        Check("Resize", 13, [NodeInput.Fed("x", X), NodeInput.Const("roi", Tensor.FromArray(new[] { 0f, 0f, -0.2f, 0.3f, 1f, 1f, 0.9f, 1.4f }, 8)),
            null, NodeInput.Const("sizes", Longs(2, 3, 6, 5))], [DType.Float32], 1e-5,
            ("mode", "linear"), ("coordinate_transformation_mode", "tf_crop_and_resize"), ("extrapolation_value", -7f));

    [Fact]
    public void Nearest_UInt8_MovesElementsExactly()
    {
        var x = RandomTensors.Ints(new Random(3), DType.UInt8, 0, 255, 1, 1, 3, 4);
        Check("Resize", 13, [NodeInput.Fed("x", x), null, NodeInput.Const("scales", Up)], [DType.UInt8]);
    }

    [Fact]
    public void Resize_ScalesAndSizesBoth_FailsClearly()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("Resize", 13, [NodeInput.Fed("x", X), null, NodeInput.Const("scales", Up),
            NodeInput.Const("sizes", Longs(2, 3, 4, 4))], 1));
        Assert.Contains("exactly one", e.Message);
    }
}
