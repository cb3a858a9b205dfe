using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Opset-dependent forms no ONNX backend node case covers (ONNX Runtime does not load most of these opsets),
/// checked through a Session on one-node graphs against hand-computed values (exact: small integers and powers of two).</summary>
public class ElementwiseLegacyFormsTests
{
    private static Tensor RunOne(string op, long opset, NodeInput?[] inputs, DType output, params (string, object)[] attrs)
    {
        var g = OrtParity.OneNode(op, opset, inputs, [output], attrs: attrs);
        return new Session(g).Run(OrtParity.Feeds(inputs))["y0"];
    }

    private static Tensor Seq(params int[] shape)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = i;
        return t;
    }

    [Fact]
    public void Add_Opset6BroadcastAxis_AlignsBAtAxis()
    {
        var a = Seq(2, 3, 4);
        var b = Tensor.FromArray(new[] { 100f, 200f, 300f }, 3);
        var r = RunOne("Add", 6, [Fed("a", a), Fed("b", b)], DType.Float32, ("broadcast", 1L), ("axis", 1L));
        // b runs along axis 1: element (i, j, k) gets b[j].
        for (int i = 0; i < 24; i++) Assert.Equal(i + 100f * (i / 4 % 3 + 1), r.AsSpan<float>()[i]);
    }

    [Fact]
    public void Mul_Opset6BroadcastWithoutAxis_AlignsToTheEnd()
    {
        var r = RunOne("Mul", 6, [Fed("a", Seq(2, 3)), Fed("b", Tensor.FromArray(new[] { 1f, 10f, 100f }, 3))], DType.Float32, ("broadcast", 1L));
        Assert.Equal(new[] { 0f, 10, 200, 3, 40, 500 }, r.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Clip_Opset6Attributes_Clamp()
    {
        var x = Tensor.FromArray(new[] { -3f, -1f, 0f, 2f, 5f }, 5);
        Assert.Equal(new[] { -1f, -1, 0, 2, 2 }, RunOne("Clip", 6, [Fed("x", x)], DType.Float32, ("min", -1f), ("max", 2f)).AsSpan<float>().ToArray());
        Assert.Equal(new[] { -3f, -1, 0, 1, 1 }, RunOne("Clip", 6, [Fed("x", x)], DType.Float32, ("max", 1f)).AsSpan<float>().ToArray());
    }

    [Fact]
    public void Clip_Opset12Int8InputsAndInvertedBounds_MatchNumpyClip()
    {
        var x = Tensor.FromArray(new sbyte[] { -100, -5, 0, 5, 100 }, 5);
        Assert.Equal(new sbyte[] { -10, -5, 0, 5, 10 }, RunOne("Clip", 12, [Fed("x", x), Const("lo", Tensor.Scalar((sbyte)-10)), Const("hi", Tensor.Scalar((sbyte)10))], DType.Int8).AsSpan<sbyte>().ToArray());
        // min > max: every element becomes max.
        Assert.Equal(new sbyte[] { 1, 1, 1, 1, 1 }, RunOne("Clip", 12, [Fed("x", x), Const("lo", Tensor.Scalar((sbyte)3)), Const("hi", Tensor.Scalar((sbyte)1))], DType.Int8).AsSpan<sbyte>().ToArray());
    }

    [Fact]
    public void Softmax_Opset11VersusOpset13_NormalizeDifferentSpans()
    {
        var x = Tensor.Zeros(DType.Float32, 2, 3, 4);
        var legacy = RunOne("Softmax", 11, [Fed("x", x)], DType.Float32, ("axis", 1L));
        var modern = RunOne("Softmax", 13, [Fed("x", x)], DType.Float32, ("axis", 1L));
        // Opset 11 normalizes over the 12 elements of dims 1..2; opset 13 over the 3 elements of dim 1.
        Assert.All(legacy.AsSpan<float>().ToArray(), v => Assert.Equal(1f / 12, v, 6));
        Assert.All(modern.AsSpan<float>().ToArray(), v => Assert.Equal(1f / 3, v, 6));
        var defaultLegacy = RunOne("Softmax", 1, [Fed("x", x)], DType.Float32);
        Assert.All(defaultLegacy.AsSpan<float>().ToArray(), v => Assert.Equal(1f / 12, v, 6));
    }

    [Fact]
    public void ReduceSum_AxesAttributeVersusInput_AndNoop()
    {
        var x = Seq(2, 3);
        Assert.Equal(new[] { 3f, 12 }, RunOne("ReduceSum", 11, [Fed("x", x)], DType.Float32, ("axes", new long[] { 1 }), ("keepdims", 0L)).AsSpan<float>().ToArray());
        Assert.Equal(new[] { 3f, 12 }, RunOne("ReduceSum", 13, [Fed("x", x), Const("axes", Tensor.FromArray(new long[] { -1 }, 1))], DType.Float32, ("keepdims", 0L)).AsSpan<float>().ToArray());
        var all = RunOne("ReduceSum", 13, [Fed("x", x)], DType.Float32);
        Assert.Equal(new[] { 1, 1 }, all.Shape);
        Assert.Equal(15f, all.AsSpan<float>()[0]);
        var noop = RunOne("ReduceSum", 13, [Fed("x", x), Const("axes", Tensor.FromArray(Array.Empty<long>(), 0))], DType.Float32, ("noop_with_empty_axes", 1L));
        Assert.Equal(x.AsSpan<float>().ToArray(), noop.AsSpan<float>().ToArray());
    }

    [Fact]
    public void ReduceMax_Opset18AxesInputVersusOpset13Attribute()
    {
        var x = Seq(2, 3, 2);
        var a = RunOne("ReduceMax", 13, [Fed("x", x)], DType.Float32, ("axes", new long[] { 0, 2 }));
        var b = RunOne("ReduceMax", 18, [Fed("x", x), Const("axes", Tensor.FromArray(new long[] { 0, 2 }, 2))], DType.Float32);
        Assert.Equal(new[] { 1, 3, 1 }, b.Shape);
        Assert.Equal(new[] { 7f, 9, 11 }, b.AsSpan<float>().ToArray());
        Assert.Equal(b.AsSpan<float>().ToArray(), a.AsSpan<float>().ToArray());
    }

    [Fact]
    public void BatchNormalization_Opset7SpatialZero_UsesPerFeatureStatistics()
    {
        var x = Seq(2, 2, 2);
        // Per-feature (C·H = 4 values) scale and mean; var 1 − ε so the divisor is exactly 1.
        var scale = Tensor.FromArray(new[] { 1f, 2f, 4f, 8f }, 2, 2);
        var b = Tensor.FromArray(new[] { 0f, 1f, 0f, 1f }, 2, 2);
        var mean = Tensor.FromArray(new[] { 1f, 1f, 1f, 1f }, 2, 2);
        var var = Tensor.FromArray(new[] { 1f, 1f, 1f, 1f }, 2, 2);
        var r = RunOne("BatchNormalization", 7, [Fed("x", x), Const("s", scale), Const("b", b), Const("m", mean), Const("v", var)], DType.Float32,
            ("spatial", 0L), ("epsilon", 0f));
        float[] expected = [.. Enumerable.Range(0, 8).Select(i => (i - 1f) * scale.AsSpan<float>()[i % 4] + b.AsSpan<float>()[i % 4])];
        Assert.Equal(expected, r.AsSpan<float>().ToArray());
    }

    [Fact]
    public void BatchNormalization_Opset15TrainingMode_ReturnsRunningStatistics()
    {
        var x = Seq(2, 2, 2); // channel 0: {0,1,4,5} mean 2.5 var 4.25; channel 1: {2,3,6,7} mean 4.5 var 4.25
        NodeInput?[] inputs = [Fed("x", x), Const("s", Tensor.FromArray(new[] { 1f, 1f }, 2)), Const("b", Tensor.FromArray(new[] { 0f, 0f }, 2)),
            Const("m", Tensor.FromArray(new[] { 0f, 0f }, 2)), Const("v", Tensor.FromArray(new[] { 1f, 1f }, 2))];
        var g = OrtParity.OneNode("BatchNormalization", 15, inputs, [DType.Float32, DType.Float32, DType.Float32], attrs: [("training_mode", 1L), ("momentum", 0.5f)]);
        var r = new Session(g).Run(OrtParity.Feeds(inputs));
        Assert.Equal(new[] { 1.25f, 2.25f }, r["y1"].AsSpan<float>().ToArray());
        Assert.Equal(new[] { 2.625f, 2.625f }, r["y2"].AsSpan<float>().ToArray());
        Assert.Equal((0 - 2.5) / Math.Sqrt(4.25 + 1e-5), r["y0"].AsSpan<float>()[0], 5);
    }

    [Fact]
    public void PRelu_Opset6PerChannelSlope_AppliesAlongAxis1()
    {
        var x = Tensor.FromArray(new[] { -1f, -1, -1, -1, -1, -1, -1, -1 }, 1, 2, 2, 2);
        var r = RunOne("PRelu", 6, [Fed("x", x), Const("slope", Tensor.FromArray(new[] { 0.5f, 0.25f }, 2))], DType.Float32);
        Assert.Equal(new[] { -0.5f, -0.5f, -0.5f, -0.5f, -0.25f, -0.25f, -0.25f, -0.25f }, r.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Cast_Opset1StringTarget_Converts()
    {
        var r = RunOne("Cast", 1, [Fed("x", Tensor.FromArray(new[] { 1.7f, -2.2f }, 2))], DType.Int32, ("to", "INT32"));
        Assert.Equal(new[] { 1, -2 }, r.AsSpan<int>().ToArray());
    }
}
