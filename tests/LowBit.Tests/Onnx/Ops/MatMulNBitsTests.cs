using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// com.microsoft MatMulNBits / DynamicQuantizeMatMul / MatMulIntegerToFloat against ONNX Runtime. MatMulNBits sums K
/// float32 products in a different order than ONNX Runtime's kernels, so outputs agree to max|Δ| ≤ 1e-5·max|y|
/// (float32 rounding over K ≤ 100 terms); the integer-accumulating ops differ only in the final float32 scaling.
/// </summary>
public class MatMulNBitsTests
{
    /// <summary>Packs codes[n][k] (each &lt; 2^bits) into MatMulNBits' B layout [N, n_blocks, blob], LSB first.</summary>
    private static Tensor PackB(int[,] codes, int bits, int blockSize)
    {
        int n = codes.GetLength(0), k = codes.GetLength(1), nb = (k + blockSize - 1) / blockSize, blob = blockSize * bits / 8;
        var bytes = new byte[n * nb * blob];
        for (int row = 0; row < n; row++)
            for (int kk = 0; kk < k; kk++)
            {
                int blk = kk / blockSize, bit = (kk % blockSize) * bits;
                int at = (row * nb + blk) * blob + bit / 8;
                int v = codes[row, kk] << (bit % 8);
                bytes[at] |= (byte)v;
                if (v > 255) bytes[at + 1] |= (byte)(v >> 8);
            }
        return Tensor.FromArray(bytes, n, nb, blob);
    }

    private static Tensor PackZeroPoints(int[,] zp, int bits)
    {
        int n = zp.GetLength(0), nb = zp.GetLength(1), perRow = (nb * bits + 7) / 8;
        var bytes = new byte[n * perRow];
        for (int row = 0; row < n; row++)
            for (int j = 0; j < nb; j++) bytes[row * perRow + j * bits / 8] |= (byte)(zp[row, j] << (j * bits % 8));
        return Tensor.FromArray(bytes, n, perRow);
    }

    private static void RunNBits(int bits, int blockSize, int k, int n, string zpKind, bool bias, DType aType = DType.Float32, int seed = 1)
    {
        var r = new Random(seed);
        int nb = (k + blockSize - 1) / blockSize;
        var codes = new int[n, k];
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) codes[i, j] = r.Next(0, 1 << bits);
        var zp = new int[n, nb];
        for (int i = 0; i < n; i++) for (int j = 0; j < nb; j++) zp[i, j] = r.Next(0, 1 << bits);
        var a = RandomTensors.Floats(r, -1, 1, 2, 3, k);
        var scales = RandomTensors.Floats(r, 0.01f, 0.1f, n, nb);
        if (aType == DType.Float16) { a = a.ToFloat16(); scales = scales.ToFloat16(); }
        NodeInput? z = zpKind switch
        {
            "packed" => Const("zp", PackZeroPoints(zp, bits)),
            "float" => Const("zp", aType == DType.Float16 ? RandomTensors.Floats(r, 0, (1 << bits) - 1, n, nb).ToFloat16() : RandomTensors.Floats(r, 0, (1 << bits) - 1, n, nb)),
            _ => Omitted,
        };
        NodeInput? b = bias ? Const("bias", aType == DType.Float16 ? RandomTensors.Floats(r, -1, 1, n).ToFloat16() : RandomTensors.Floats(r, -1, 1, n)) : Omitted;
        var g = OrtParity.OneNode("MatMulNBits", 21, [Fed("a", a), Const("b", PackB(codes, bits, blockSize)), Const("s", scales), z, Omitted, b], [aType],
            "com.microsoft", ("K", (long)k), ("N", (long)n), ("bits", (long)bits), ("block_size", (long)blockSize));
        var (ours, ort) = OrtParity.Run(g, OrtParity.Feeds([Fed("a", a)]));
        Assert.Equal(new[] { 2, 3, n }, ours[0].Shape);
        TensorAssert.RelativeMax(ort[0], ours[0], aType == DType.Float16 ? 2e-3 : 1e-5, $"MatMulNBits bits {bits} zp {zpKind}");
    }

    [Theory]
    [InlineData(4, 32, 80, 6, "none", false)]
    [InlineData(4, 32, 80, 6, "packed", true)]
    [InlineData(4, 16, 64, 5, "float", false)]
    [InlineData(8, 16, 40, 4, "packed", true)]
    [InlineData(8, 32, 64, 3, "none", false)]
    [InlineData(2, 16, 48, 4, "packed", false)]
    [InlineData(4, 32, 31, 5, "packed", false)]
    public void MatMulNBits_MatchesOrt(int bits, int blockSize, int k, int n, string zp, bool bias) => RunNBits(bits, blockSize, k, n, zp, bias);

    [Fact]
    public void MatMulNBits_Float16_MatchesOrt() => RunNBits(4, 32, 64, 4, "packed", true, DType.Float16, seed: 3);

    [Fact]
    public void MatMulNBits_Dequantize_UsesLowNibbleFirstAndDefaultZeroPoint()
    {
        // One block of 16 codes 0..15 in order, scale 1, no zero point → W[0, k] = k − 8 (4-bit default zero point).
        var codes = new int[1, 16];
        for (int k = 0; k < 16; k++) codes[0, k] = k;
        var b = PackB(codes, 4, 16);
        Assert.Equal(0x10, b.AsSpan<byte>()[0]);
        var w = LowBit.Onnx.Ops.MatMulNBitsOps.Dequantize(b.AsSpan<byte>(), [1f], null, 1, 16, 16, 4);
        Assert.Equal(Enumerable.Range(-8, 16).Select(v => (float)v).ToArray(), w);
    }

    [Theory]
    [InlineData(DType.Int8, false)]
    [InlineData(DType.UInt8, true)]
    public void DynamicQuantizeMatMul_MatchesOrt(DType bType, bool perColumn)
    {
        var r = new Random(5);
        var (bmin, bmax) = OrtU8S8.WeightRange(DType.UInt8, bType);  // a is quantized to uint8 at run time
        int n = 7;
        var b = RandomTensors.Ints(r, bType, bmin, bmax, 24, n);
        var bs = perColumn ? RandomTensors.Floats(r, 0.001f, 0.01f, n) : Tensor.Scalar(0.004f);
        var bzp = perColumn ? RandomTensors.Ints(r, bType, bmin + 100, bmin + 150, n) : RandomTensors.Scalar(bType, bType == DType.UInt8 ? 128 : 0);
        var a = RandomTensors.Floats(r, -3, 2, 2, 5, 24);
        var g = OrtParity.OneNode("DynamicQuantizeMatMul", 13, [Fed("a", a), Const("b", b), Const("bs", bs), Const("bzp", bzp), Const("bias", RandomTensors.Floats(r, -1, 1, n))],
            [DType.Float32], "com.microsoft");
        var (ours, ort) = OrtParity.Run(g, OrtParity.Feeds([Fed("a", a)]));
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, "DynamicQuantizeMatMul");
    }

    [Fact]
    public void MatMulIntegerToFloat_MatchesOrt()
    {
        var r = new Random(6);
        var a = RandomTensors.Ints(r, DType.UInt8, 0, 255, 4, 16);
        var g = OrtParity.OneNode("MatMulIntegerToFloat", 13,
            [Fed("a", a), Const("b", OrtU8S8.Int8Weights(r, 16, 5)), Const("as", Tensor.Scalar(0.02f)),
             Const("bs", RandomTensors.Floats(r, 0.001f, 0.01f, 5)), Const("azp", RandomTensors.Scalar(DType.UInt8, 130)),
             Const("bzp", RandomTensors.Of(DType.Int8, [5], 0, 0, 0, 0, 0)), Const("bias", RandomTensors.Floats(r, -1, 1, 5))], [DType.Float32], "com.microsoft");
        var (ours, ort) = OrtParity.Run(g, OrtParity.Feeds([Fed("a", a)]));
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, "MatMulIntegerToFloat");
    }
}
