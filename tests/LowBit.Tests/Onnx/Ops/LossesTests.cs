using LowBit.Onnx.Ops;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against ONNX Runtime on seeded data, in the forms the backend
/// node cases miss (float64, int32 labels, log_prob with weights and a negative ignore_index). Tolerance: relative 1e-5
/// of max |ORT output| for float32 (ORT accumulates in float32, LowBit in float64, over ≤ 64 terms), 1e-12 for float64.
/// </summary>
public class LossesTests
{
    private static Tensor Labels(Random r, DType dtype, int classes, long ignore, params int[] shape)
    {
        var t = RandomTensors.Ints(r, dtype, 0, classes - 1, shape);
        for (int i = 0; i < t.Length; i += 3) t.SetDouble(i, ignore);
        return t;
    }

    [Theory]
    [InlineData("none", DType.Float32)]
    [InlineData("sum", DType.Float32)]
    [InlineData("mean", DType.Float32)]
    [InlineData("mean", DType.Float64)]
    public void SoftmaxCrossEntropyLoss_WeightsAndNegativeIgnoreIndex_MatchesOrt(string reduction, DType dtype)
    {
        var r = new Random(reduction.Length);
        var scores = RandomTensors.Floats(r, -4, 4, 3, 5, 2, 4);
        if (dtype == DType.Float64) scores = Elementwise.Cast(scores, DType.Float64);
        var labels = Labels(r, DType.Int64, 5, -2, 3, 2, 4);
        var w = Elementwise.Cast(RandomTensors.Floats(r, 0.2f, 2, 5), dtype);
        var g = OrtParity.OneNode("SoftmaxCrossEntropyLoss", 13, [Fed("s", scores), Fed("l", labels), Const("w", w)], [dtype, dtype],
            attrs: [("reduction", reduction), ("ignore_index", -2L)]);
        var (ours, ort) = OrtParity.Run(g, new() { ["s"] = scores, ["l"] = labels });
        double tol = dtype == DType.Float64 ? 1e-12 : 1e-5;
        TensorAssert.RelativeMax(ort[0], ours[0], tol, "loss");
        TensorAssert.RelativeMax(ort[1], ours[1], tol, "log_prob");
    }

    [Fact]
    public void NegativeLogLikelihoodLoss_Int32TargetNoWeights_MatchesOrt()
    {
        var r = new Random(3);
        var input = RandomTensors.Floats(r, -3, 0, 4, 6, 5);
        var target = Labels(r, DType.Int32, 6, 1, 4, 5);
        var g = OrtParity.OneNode("NegativeLogLikelihoodLoss", 13, [Fed("x", input), Fed("t", target)], [DType.Float32],
            attrs: ("ignore_index", 1L));
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = input, ["t"] = target });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "mean loss");
    }

    [Fact]
    public void NegativeLogLikelihoodLoss_TargetOutOfRange_ThrowsNamingClass()
    {
        var input = Tensor.FromArray(new float[6], 2, 3);
        var target = Tensor.FromArray(new long[] { 0, 3 }, 2);
        var e = Assert.Throws<LowBitException>(() => Losses.NegativeLogLikelihoodLoss(input, target));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("class 3", e.Message);
    }

    [Fact]
    public void NegativeLogLikelihoodLoss_WeightedMean_DividesByWeightSum()
    {
        // Rows pick classes 0 and 2: loss = (−(−1)·2 + −(−3)·0.5) / (2 + 0.5) = 3.5 / 2.5.
        var input = Tensor.FromArray(new float[] { -1, -2, -9, -9, -9, -3 }, 2, 3);
        var target = Tensor.FromArray(new long[] { 0, 2 }, 2);
        var w = Tensor.FromArray(new float[] { 2, 7, 0.5f }, 3);
        var loss = Losses.NegativeLogLikelihoodLoss(input, target, w);
        Assert.Equal(1.4f, loss.AsSpan<float>()[0], 6);
    }
}
