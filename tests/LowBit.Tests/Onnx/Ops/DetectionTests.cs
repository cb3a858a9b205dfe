using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// NonMaxSuppression and RoiAlign against ONNX Runtime on random detector-like inputs (many overlapping boxes, several
/// classes and images, rois crossing the image border), covering center_point_box, score thresholds, ties, max pooling,
/// sampling_ratio 0 and both coordinate modes. NMS indices must be identical; RoiAlign within 1e-5 of the range
/// (ONNX Runtime interpolates in float32).
/// </summary>
public class DetectionTests
{
    private static Tensor Boxes(Random r, int batch, int n, bool center)
    {
        var t = Tensor.Zeros(DType.Float32, batch, n, 4);
        var s = t.AsSpan<float>();
        for (int i = 0; i < batch * n; i++)
        {
            float a = (float)r.NextDouble() * 10, b = (float)r.NextDouble() * 10, w = 1 + (float)r.NextDouble() * 4, h = 1 + (float)r.NextDouble() * 4;
            if (center) (s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]) = (a, b, w, h);
            else if (i % 3 == 0) (s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]) = (b + h, a + w, b, a);  // flipped corners
            else (s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]) = (b, a, b + h, a + w);
        }
        return t;
    }

    [Theory]
    [InlineData(0L, 0.5f, null, 5L)]
    [InlineData(0L, 0.3f, 0.4f, 100L)]
    [InlineData(1L, 0.5f, 0.2f, 3L)]
    [InlineData(1L, 0f, null, 4L)]     // iou_threshold 0: any overlap suppresses
    [InlineData(0L, 1f, null, 50L)]    // iou_threshold 1: nothing is suppressed
    public void NonMaxSuppression_RandomBoxes_MatchesOnnxRuntime(long center, float iou, float? scoreFloor, long maxOut)
    {
        var r = new Random((int)(center * 100 + iou * 10 + maxOut));
        var boxes = Boxes(r, 2, 40, center == 1);
        var scores = RandomTensors.Floats(r, 0, 1, 2, 3, 40);
        var s = scores.AsSpan<float>();
        for (int i = 0; i < s.Length; i += 7) s[i] = 0.5f;  // ties are broken by box index
        var y = Check("NonMaxSuppression", 11, [NodeInput.Fed("b", boxes), NodeInput.Fed("s", scores), NodeInput.Const("m", Longs(maxOut)),
            NodeInput.Const("iou", Tensor.FromArray(new[] { iou }, 1)), scoreFloor is float f ? NodeInput.Const("st", Tensor.FromArray(new[] { f }, 1)) : null],
            [DType.Int64], 0, ("center_point_box", center));
        Assert.True(y[0].Shape[0] > 0);
    }

    [Fact]
    public void NonMaxSuppression_NoMaxOutput_SelectsNothing()
    {
        var y = Ours("NonMaxSuppression", 11, [NodeInput.Fed("b", Boxes(new Random(1), 1, 5, false)), NodeInput.Fed("s", RandomTensors.Floats(new Random(2), 0, 1, 1, 1, 5))], 1);
        Assert.Equal(new[] { 0, 3 }, y[0].Shape);
    }

    [Fact]
    public void NonMaxSuppression_ScoresShapeMismatch_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("NonMaxSuppression", 11, [NodeInput.Fed("b", Boxes(new Random(1), 1, 5, false)),
            NodeInput.Fed("s", RandomTensors.Floats(new Random(2), 0, 1, 1, 1, 6))], 1));
        Assert.Contains("scores must be [batch, classes, boxes]", e.Message);
    }

    private static Tensor Rois(Random r, int n)
    {
        var t = Tensor.Zeros(DType.Float32, n, 4);
        var s = t.AsSpan<float>();
        for (int i = 0; i < n; i++)
        {
            float x = (float)r.NextDouble() * 24 - 4, y = (float)r.NextDouble() * 24 - 4;
            (s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]) = (x, y, x + 0.5f + (float)r.NextDouble() * 14, y + 0.5f + (float)r.NextDouble() * 14);
        }
        return t;
    }

    [Theory]
    [InlineData(16L, "half_pixel", "avg", 0L, 1f)]
    [InlineData(16L, "output_half_pixel", "avg", 2L, 0.5f)]
    [InlineData(16L, "half_pixel", "max", 2L, 1f)]
    [InlineData(16L, "output_half_pixel", "max", 0L, 0.5f)]
    [InlineData(10L, "", "avg", 0L, 1f)]
    [InlineData(10L, "", "max", 3L, 0.75f)]
    public void RoiAlign_RandomRois_MatchesOnnxRuntime(long opset, string coordinates, string mode, long ratio, float scale)
    {
        var r = new Random((int)opset + mode.Length + (int)ratio);
        var x = RandomTensors.Floats(r, -2, 2, 2, 3, 20, 18);
        var attrs = new List<(string, object)> { ("mode", mode), ("output_height", 4L), ("output_width", 3L), ("sampling_ratio", ratio), ("spatial_scale", scale) };
        if (coordinates.Length > 0) attrs.Add(("coordinate_transformation_mode", coordinates));
        Check("RoiAlign", opset, [NodeInput.Fed("x", x), NodeInput.Fed("rois", Rois(r, 9)), NodeInput.Const("bi", Longs(0, 1, 1, 0, 1, 0, 0, 1, 1))],
            [DType.Float32], 1e-5, attrs.ToArray());
    }

    [Fact]
    public void RoiAlign_BatchIndexOutOfRange_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("RoiAlign", 16, [NodeInput.Fed("x", Iota(1, 1, 4, 4)), NodeInput.Fed("rois", Rois(new Random(1), 1)),
            NodeInput.Const("bi", Longs(2))], 1));
        Assert.Contains("batch index 2 is out of range for 1 images", e.Message);
    }
}
