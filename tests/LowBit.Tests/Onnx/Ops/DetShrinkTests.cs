using LowBit.Onnx.Ops;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Det and Shrink against ONNX Runtime and hand-computed values.</summary>
public class DetShrinkTests
{
    [Fact]
    public void Det_BatchOfRandomMatrices_MatchesOrt()
    {
        var x = RandomTensors.Floats(new Random(11), -2, 2, 2, 3, 6, 6);
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode("Det", 11, [Fed("x", x)], [DType.Float32]), new() { ["x"] = x });
        Assert.Equal(new[] { 2, 3 }, ours[0].Shape);
        // Both use pivoted LU; ORT in float32 (Eigen), LowBit in float64: agreement to float32 rounding of a 6×6 LU.
        TensorAssert.Close(ort[0], ours[0], rtol: 1e-4, atol: 1e-5, "det");
    }

    [Fact]
    public void Det_PermutationAndSingular_AreExact()
    {
        // Rows swapped once: det = −(2·3) = −6. Second matrix has two equal rows: det = 0 exactly.
        var x = Tensor.FromArray(new double[] { 0, 3, 2, 0, 1, 2, 1, 2 }, 2, 2, 2);
        var d = DetOps.Det(x).AsSpan<double>().ToArray();
        Assert.Equal(new[] { -6.0, 0.0 }, d);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public void Shrink_BiasAndLambda_MatchesOrt(DType dtype)
    {
        var f = RandomTensors.Floats(new Random(5), -4, 4, 4, 25);
        var x = dtype.IsInteger() ? RandomTensors.Ints(new Random(5), dtype, -4, 4, 4, 25) : Elementwise.Cast(f, dtype);
        OrtParity.AssertIdentical("Shrink", 9, [Fed("x", x)], [dtype], attrs: [("bias", 1.5f), ("lambd", 1.25f)]);
    }
}
