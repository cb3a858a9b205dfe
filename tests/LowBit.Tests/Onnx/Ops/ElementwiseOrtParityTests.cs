using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Softmax family, LayerNormalization, BatchNormalization, Gelu, float16 paths and bfloat16 casts against ONNX Runtime
/// on seeded random data. Tolerances are relative to max |ORT output|: 1e-5 where both sides evaluate exp/erf/rsqrt
/// with different float32 approximations (a few ulp each, plus different summation order), 1e-6 for the affine
/// BatchNormalization; exact where both round one float32 result.
/// </summary>
public class ElementwiseOrtParityTests
{
    [Theory]
    [InlineData("Softmax", -1)]
    [InlineData("Softmax", 0)]
    [InlineData("Softmax", 1)]
    [InlineData("LogSoftmax", -1)]
    [InlineData("LogSoftmax", 1)]
    [InlineData("Hardmax", 1)]
    [InlineData("Hardmax", -1)]
    public void SoftmaxFamily_Opset13_MatchesOrt(string op, long axis)
    {
        var x = RandomTensors.Floats(new Random(op.Length * 10 + (int)axis), -6, 6, 3, 17, 9);
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode(op, 13, [Fed("x", x)], [DType.Float32], attrs: ("axis", axis)), new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, $"{op} axis {axis}");
    }

    [Theory]
    [InlineData("Softmax", 1)]
    [InlineData("LogSoftmax", 2)]
    [InlineData("Hardmax", 1)]
    public void SoftmaxFamily_Opset11CoercesTo2D_MatchesOrt(string op, long axis)
    {
        var x = RandomTensors.Floats(new Random(5), -6, 6, 2, 3, 4, 5);
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode(op, 11, [Fed("x", x)], [DType.Float32], attrs: ("axis", axis)), new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, $"{op} opset 11 axis {axis}");
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void LayerNormalization_WithStatistics_MatchesOrt(long axis, bool bias)
    {
        var rng = new Random((int)axis + 7);
        var x = RandomTensors.Floats(rng, -3, 5, 2, 6, 40);
        int d = axis == -1 ? 40 : 6 * 40;
        var scale = RandomTensors.Floats(rng, 0.5f, 2, axis == -1 ? [40] : [6, 40]);
        var b = RandomTensors.Floats(rng, -1, 1, axis == -1 ? [40] : [6, 40]);
        // Without B the input list ends at Scale: ONNX Runtime 1.31 crashes the process on an explicit empty B ("").
        NodeInput?[] inputs = bias ? [Fed("x", x), Const("scale", scale), Const("b", b)] : [Fed("x", x), Const("scale", scale)];
        var g = OrtParity.OneNode("LayerNormalization", 17, inputs, [DType.Float32, DType.Float32, DType.Float32], attrs: [("axis", axis), ("epsilon", 1e-4f)]);
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        Assert.Equal(d, x.Length / ours[1].Length);
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "Y");
        TensorAssert.RelativeMax(ort[1], ours[1], 1e-5, "Mean");
        TensorAssert.RelativeMax(ort[2], ours[2], 1e-5, "InvStdDev");
    }

    [Fact]
    public void BatchNormalization_Inference_MatchesOrt()
    {
        var rng = new Random(3);
        var x = RandomTensors.Floats(rng, -2, 2, 2, 8, 7, 7);
        NodeInput?[] inputs = [Fed("x", x), Const("scale", RandomTensors.Floats(rng, 0.5f, 1.5f, 8)), Const("b", RandomTensors.Floats(rng, -1, 1, 8)),
            Const("mean", RandomTensors.Floats(rng, -0.5f, 0.5f, 8)), Const("var", RandomTensors.Floats(rng, 0.1f, 2, 8))];
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode("BatchNormalization", 15, inputs, [DType.Float32], attrs: ("epsilon", 1e-3f)), new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, "BatchNormalization");
    }

    [Fact]
    public void BatchNormalization_TwoDimensionalInput_MatchesOrt()
    {
        var rng = new Random(4);
        var x = RandomTensors.Floats(rng, -2, 2, 5, 12);
        NodeInput?[] inputs = [Fed("x", x), Const("scale", RandomTensors.Floats(rng, 0.5f, 1.5f, 12)), Const("b", RandomTensors.Floats(rng, -1, 1, 12)),
            Const("mean", RandomTensors.Floats(rng, -0.5f, 0.5f, 12)), Const("var", RandomTensors.Floats(rng, 0.1f, 2, 12))];
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode("BatchNormalization", 9, inputs, [DType.Float32]), new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, "BatchNormalization [N, C]");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_Opset20_MatchesOrt(string approximate)
    {
        // 4099 elements: whole vectors plus a scalar tail; range covers both erf branches and saturation.
        var x = RandomTensors.Floats(new Random(8), -6, 6, 4099);
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode("Gelu", 20, [Fed("x", x)], [DType.Float32], attrs: ("approximate", approximate)), new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, $"Gelu {approximate}");
        TensorAssert.Close(ort[0], ours[0], rtol: 1e-4, atol: 1e-6, $"Gelu {approximate} element-wise");
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Mul")]
    [InlineData("Max")]
    public void BinaryFloat16_Broadcast_IdenticalToOrt(string op)
    {
        var rng = new Random(op.Length);
        var a = RandomTensors.Floats(rng, -10, 10, 3, 5, 7).ToFloat16();
        var b = RandomTensors.Floats(rng, -10, 10, 5, 1).ToFloat16();
        OrtParity.AssertIdentical(op, 13, [Fed("a", a), Fed("b", b)], [DType.Float16]);
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("Exp")]
    public void UnaryFloat16_MatchesOrt(string op)
    {
        var x = RandomTensors.Floats(new Random(op.Length), -4, 4, 257).ToFloat16();
        var (ours, ort) = OrtParity.Run(OrtParity.OneNode(op, 14, [Fed("x", x)], [DType.Float16]), new() { ["x"] = x });
        // One float16 rounding of results that agree in float32 to a few ulp: at most one float16 ulp (2^-10 relative).
        TensorAssert.Close(ort[0], ours[0], rtol: 1e-3, atol: 1e-4, op);
    }

    [Fact]
    public void Cast_FloatToBFloat16_MatchesOnnxRuntime()
    {
        var x = RandomTensors.Floats(new Random(12), -100, 100, 1000);
        var ours = OrtParity.AssertIdentical("Cast", 13, [Fed("x", x)], [DType.BFloat16], attrs: ("to", (long)DType.BFloat16));
        Assert.Equal(DType.BFloat16, ours[0].DType);
    }

    [Fact]
    public void CastLike_BFloat16_RoundTrips()
    {
        var x = RandomTensors.Floats(new Random(13), -100, 100, 3, 4);
        var like = Tensor.FromStorage(DType.BFloat16, new ushort[1], 1);
        var bf = LowBit.Onnx.Ops.CastOps.CastLike(x, like);
        var back = LowBit.Onnx.Ops.CastOps.CastLike(bf, x);
        Assert.Equal(DType.BFloat16, bf.DType);
        // bfloat16 keeps 8 significant bits: round to nearest errs by at most half a spacing, ≤ 2^-8 relative.
        TensorAssert.Close(x, back, rtol: 1.0 / 256, atol: 0, "bfloat16 round trip");
    }
}
