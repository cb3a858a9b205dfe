using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// MaxUnpool fed by a real MaxPool (indices over the whole flattened tensor, several images and channels, padding,
/// overlapping windows with repeated indices) against ONNX Runtime; values move unchanged, so outputs are bit-identical.
/// </summary>
public class MaxUnpoolTests
{
    private static (Tensor Values, Tensor Indices) Pool(Tensor x, params (string, object)[] attrs)
    {
        var g = OrtParity.OneNode("MaxPool", 12, [NodeInput.Fed("x", x)], [DType.Float32, DType.Int64], "", attrs);
        var (ours, _) = OrtParity.Run(g, new Dictionary<string, Tensor> { ["x"] = x });
        return (ours[0], ours[1]);
    }

    [Theory]
    [InlineData(2L, 2L, 0L, 8, 6, true)]
    [InlineData(3L, 2L, 1L, 7, 7, true)]   // overlapping windows: one maximum can be picked twice
    [InlineData(2L, 1L, 0L, 7, 6, true)]
    [InlineData(2L, 2L, 0L, 7, 5, false)]  // pooling dropped a row and a column: only output_shape restores the layout
    public void MaxUnpool_AfterMaxPool_MatchesOnnxRuntime(long kernel, long stride, long pad, int h, int w, bool inferable)
    {
        var x = RandomTensors.Floats(new Random((int)(kernel * 10 + stride + h)), -1, 1, 2, 3, h, w);
        var attrs = new (string, object)[] { ("kernel_shape", new[] { kernel, kernel }), ("strides", new[] { stride, stride }), ("pads", new[] { pad, pad, pad, pad }) };
        var (v, i) = Pool(x, attrs);
        if (inferable) Check("MaxUnpool", 11, [NodeInput.Fed("v", v), NodeInput.Fed("i", i)], [DType.Float32], 0, attrs);
        var y = Check("MaxUnpool", 11, [NodeInput.Fed("v", v), NodeInput.Fed("i", i), NodeInput.Const("shape", Longs(2, 3, h, w))], [DType.Float32], 0, attrs)[0];
        // Every pooled maximum is back at its original position.
        var xs = x.ToFloatArray();
        var ys = y.ToFloatArray();
        foreach (long k in i.ToInt64Array()) Assert.Equal(xs[k], ys[k]);
    }

    [Fact]
    public void MaxUnpool_OutputShapeNodeCase_MatchesOnnxRuntimeNotHandWrittenExpectation()
    {
        // test_maxunpool_export_with_output_shape (skipped in NodeTestSkips.Signal) expects indices [5, 7, 13, 15] to address
        // the inferred 4×4 layout inside a 5×5 output. MaxPool's indices address its input, whose shape output_shape is,
        // so ONNX Runtime (and LowBit) read them in the 5×5 layout: 5 → (1, 0), 7 → (1, 2), 13 → (2, 3), 15 → (3, 0).
        NodeInput[] inputs = [NodeInput.Fed("v", Floats([1, 1, 2, 2], 5, 6, 7, 8)), NodeInput.Fed("i", Tensor.FromArray(new[] { 5L, 7, 13, 15 }, 1, 1, 2, 2)),
            NodeInput.Const("shape", Longs(1, 1, 5, 5))];
        var y = Check("MaxUnpool", 11, inputs, [DType.Float32], 0, ("kernel_shape", new[] { 2L, 2L }), ("strides", new[] { 2L, 2L }))[0].ToFloatArray();
        Assert.Equal(new[] { 5f, 6f, 7f, 8f }, new[] { y[5], y[7], y[13], y[15] });
        Assert.Equal(26f, y.Sum());
    }

    [Fact]
    public void MaxUnpool_IndexOutsideOutput_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("MaxUnpool", 11, [NodeInput.Fed("v", Iota(1, 1, 1, 1)), NodeInput.Fed("i", Tensor.FromArray(new[] { 9L }, 1, 1, 1, 1))], 1,
            ("kernel_shape", new[] { 2L, 2L }), ("strides", new[] { 2L, 2L })));
        Assert.Contains("index 9 at position 0 is outside the output of 4 elements", e.Message);
    }
}
