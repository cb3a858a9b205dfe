using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Gemm and MatMul against ONNX Runtime. float32 tolerance 1e-5·max|ORT| (different summation orders over
/// K ≤ 300 terms); integer and double types exactly or to 1e-12.</summary>
public class GemmMatMulTests
{
    public static IEnumerable<object[]> GemmCases() =>
    [
        // M, N, K, transA, transB, alpha, beta, C shape (null = none), opset
        [1, 10, 7, 0L, 1L, 1f, 1f, new[] { 10 }, 13L],
        [13, 9, 17, 1L, 0L, 0.5f, 2f, new[] { 13, 9 }, 13L],
        [8, 50, 300, 1L, 1L, -1f, 0.25f, new[] { 1, 50 }, 13L],
        [6, 5, 4, 0L, 0L, 1f, 1f, new[] { 6, 1 }, 13L],
        [6, 5, 4, 0L, 0L, 1.5f, -1f, Array.Empty<int>(), 13L],
        [7, 3, 33, 0L, 1L, 1f, 1f, null!, 13L],
        [4, 6, 5, 0L, 1L, 2f, 3f, new[] { 6 }, 9L],
    ];

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_Attributes_MatchOrt(int m, int n, int k, long transA, long transB, float alpha, float beta, int[]? cShape, long opset)
    {
        var r = new Random(m * 100 + n * 10 + k);
        var a = RandomTensors.Floats(r, -1, 1, transA != 0 ? [k, m] : [m, k]);
        var b = RandomTensors.Floats(r, -1, 1, transB != 0 ? [n, k] : [k, n]);
        NodeInput? c = cShape is null ? Omitted : Const("c", RandomTensors.Floats(r, -1, 1, cShape));
        var g = OrtParity.OneNode("Gemm", opset, [Fed("a", a), Const("b", b), c], [DType.Float32],
            attrs: [("transA", transA), ("transB", transB), ("alpha", alpha), ("beta", beta)]);
        var (ours, ort) = OrtParity.Run(g, new() { ["a"] = a });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "Gemm");
    }

    [Fact]
    public void Gemm_LegacyOpset6WithBroadcast_MatchesOrtOpset7()
    {
        // ONNX Runtime has no Gemm-6 kernel; Gemm-7 broadcasts C the same way without the attribute.
        var r = new Random(6);
        var a = RandomTensors.Floats(r, -1, 1, 3, 4);
        var b = RandomTensors.Floats(r, -1, 1, 4, 5);
        var c = RandomTensors.Floats(r, -1, 1, 5);
        NodeInput?[] inputs = [Fed("a", a), Const("b", b), Const("c", c)];
        var legacy = OrtParity.OneNode("Gemm", 6, inputs, [DType.Float32], attrs: ("broadcast", 1L));
        var ours = new Runtime.Session(legacy).Run(new Dictionary<string, Tensor> { ["a"] = a })["y0"];
        var (_, ort) = OrtParity.Run(OrtParity.OneNode("Gemm", 7, inputs, [DType.Float32]), new() { ["a"] = a });
        TensorAssert.RelativeMax(ort[0], ours, 1e-5, "Gemm-6");
    }

    [Fact]
    public void Gemm_Opset6WithoutBroadcastAndVectorC_IsRejected()
    {
        var a = Tensor.Zeros(DType.Float32, 3, 4);
        var g = OrtParity.OneNode("Gemm", 6, [Fed("a", a), Const("b", Tensor.Zeros(DType.Float32, 4, 5)), Const("c", Tensor.Zeros(DType.Float32, 5))], [DType.Float32]);
        var e = Assert.Throws<LowBitException>(() => new Runtime.Session(g).Run(new Dictionary<string, Tensor> { ["a"] = a }));
        Assert.Contains("broadcast", e.Message);
    }

    [Fact]
    public void Gemm_Double_MatchesOrt()
    {
        var r = new Random(8);
        var a = Cast(RandomTensors.Floats(r, -1, 1, 5, 7), DType.Float64);
        var b = Cast(RandomTensors.Floats(r, -1, 1, 7, 3), DType.Float64);
        var c = Cast(RandomTensors.Floats(r, -1, 1, 3), DType.Float64);
        var g = OrtParity.OneNode("Gemm", 13, [Fed("a", a), Const("b", b), Const("c", c)], [DType.Float64], attrs: ("alpha", 0.5f));
        var (ours, ort) = OrtParity.Run(g, new() { ["a"] = a });
        TensorAssert.Close(ort[0], ours[0], rtol: 1e-12, atol: 1e-12, "Gemm double");
    }

    public static IEnumerable<object[]> MatMulCases() =>
    [
        [new[] { 7 }, new[] { 7, 5 }],
        [new[] { 4, 7 }, new[] { 7 }],
        [new[] { 9 }, new[] { 9 }],
        [new[] { 2, 1, 3, 4 }, new[] { 5, 4, 6 }],
        [new[] { 3, 4 }, new[] { 2, 4, 5 }],
        [new[] { 2, 3, 40, 300 }, new[] { 300, 33 }],
        [new[] { 4, 8, 16 }, new[] { 4, 16, 24 }],
    ];

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void MatMul_BroadcastAndPromotion_MatchesOrt(int[] aShape, int[] bShape)
    {
        var r = new Random(aShape.Sum() + 3 * bShape.Sum());
        var a = RandomTensors.Floats(r, -1, 1, aShape);
        var b = RandomTensors.Floats(r, -1, 1, bShape);
        var g = OrtParity.OneNode("MatMul", 13, [Fed("a", a), Fed("b", b)], [DType.Float32]);
        var (ours, ort) = OrtParity.Run(g, new() { ["a"] = a, ["b"] = b });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "MatMul");
    }

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    public void MatMul_Integers_MatchOrtExactly(DType type)
    {
        var r = new Random(12);
        var a = RandomTensors.Ints(r, type, -100, 100, 2, 3, 4);
        var b = RandomTensors.Ints(r, type, -100, 100, 4, 5);
        var g = OrtParity.OneNode("MatMul", 13, [Fed("a", a), Fed("b", b)], [type]);
        var (ours, ort) = OrtParity.Run(g, new() { ["a"] = a, ["b"] = b });
        OrtParity.AssertBits(ort[0], ours[0], "MatMul int");
    }

    private static Tensor Cast(Tensor t, DType to)
    {
        var c = Tensor.Zeros(to, t.Shape);
        for (int i = 0; i < t.Length; i++) c.SetDouble(i, t.GetDouble(i));
        return c;
    }
}
