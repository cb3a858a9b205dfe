using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Window functions and MelWeightMatrix against ONNX Runtime, for sizes, output types and mel ranges the node tests (one
/// size, float32, an 8-bin toy matrix) miss. Windows within 1e-6 of their peak (ONNX Runtime evaluates cos in float32);
/// mel weights exactly where both snap edges to the same bins.
/// </summary>
public class WindowsTests
{
    public static TheoryData<string, long, long, long> WindowCases()
    {
        var d = new TheoryData<string, long, long, long>();
        foreach (var op in new[] { "HannWindow", "HammingWindow", "BlackmanWindow" })
            foreach (long size in new long[] { 2, 7, 400, 512 })
                foreach (long periodic in new long[] { 0, 1 })
                    d.Add(op, size, periodic, size == 7 ? 11 : 1);
        return d;
    }

    [Theory]
    [MemberData(nameof(WindowCases))]
    public void Window_SizesAndTypes_MatchOnnxRuntime(string op, long size, long periodic, long outputType)
    {
        // Absolute 1e-6: windows lie in [0, 1] and some (Blackman of size 2) are all ≈ 0, where a relative bound is meaningless.
        NodeInput[] inputs = [NodeInput.Fed("n", Tensor.Scalar(size))];
        var g = OrtParity.OneNode(op, 17, inputs, [(DType)outputType], "", ("periodic", periodic), ("output_datatype", outputType));
        var (ours, ort) = OrtParity.Run(g, OrtParity.Feeds(inputs));
        Assert.Equal((DType)outputType, ours[0].DType);
        TensorAssert.Close(ort[0], ours[0], 0, 1e-6, $"{op}({size}, periodic={periodic})");
    }

    [Fact]
    public void HannWindow_Periodic_EqualsSymmetricOfOneMoreSample()
    {
        var periodic = Ours("HannWindow", 17, [NodeInput.Fed("n", Tensor.Scalar(16L))], 1)[0].ToFloatArray();
        var symmetric = Ours("HannWindow", 17, [NodeInput.Fed("n", Tensor.Scalar(17L))], 1, ("periodic", 0L))[0].ToFloatArray();
        for (int i = 0; i < 16; i++) Assert.Equal(symmetric[i], periodic[i], 6);
        Assert.Equal(1f, symmetric[8], 6);  // the symmetric window peaks at its centre
    }

    [Fact]
    public void Window_NegativeSize_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("BlackmanWindow", 17, [NodeInput.Fed("n", Tensor.Scalar(-3L))], 1));
        Assert.Contains("size -3 is negative", e.Message);
    }

    [Theory]
    [InlineData(40L, 512L, 16000L, 20f, 8000f)]   // speech front-end
    [InlineData(80L, 400L, 16000L, 0f, 8000f)]    // Whisper's bank size, odd number of bins
    [InlineData(10L, 64L, 8000L, 300f, 3400f)]
    public void MelWeightMatrix_RealFrontEnds_MatchOnnxRuntime(long mels, long dft, long rate, float lo, float hi)
    {
        var y = Check("MelWeightMatrix", 17, [NodeInput.Fed("m", Tensor.Scalar(mels)), NodeInput.Fed("d", Tensor.Scalar(dft)),
            NodeInput.Fed("r", Tensor.Scalar(rate)), NodeInput.Fed("lo", Tensor.Scalar(lo)), NodeInput.Fed("hi", Tensor.Scalar(hi))], [DType.Float32], 1e-6);
        Assert.Equal(new[] { (int)dft / 2 + 1, (int)mels }, y[0].Shape);
    }

    [Fact]
    public void MelWeightMatrix_UpperEdgeAboveNyquist_IsRefused()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("MelWeightMatrix", 17, [NodeInput.Fed("m", Tensor.Scalar(8L)), NodeInput.Fed("d", Tensor.Scalar(16L)),
            NodeInput.Fed("r", Tensor.Scalar(8000L)), NodeInput.Fed("lo", Tensor.Scalar(0f)), NodeInput.Fed("hi", Tensor.Scalar(20000f))], 1));
        Assert.Contains("upper_edge_hertz 20000 lies above", e.Message);
    }
}
