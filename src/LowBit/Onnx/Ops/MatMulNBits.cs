using LowBit.Kernels;
using LowBit.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// com.microsoft MatMulNBits (ONNX Runtime contrib op): <c>Y = A · dequant(B)ᵀ (+ bias)</c>, the weight-only
/// block-quantized MatMul. B is uint8 [N, n_blocks, blob] with n_blocks = ⌈K / block_size⌉ and
/// blob = block_size·bits/8: the codes of column n along K, each block packed as a little-endian bit stream
/// (element i of a block at bits [i·bits, (i+1)·bits) of its blob; for 4 bits: low nibble first).
/// <c>W[n, k] = (q[n, k] − zp[n, k / block_size]) · scale[n, k / block_size]</c>; zero points are packed the same way
/// per row n (uint8 [N, ⌈n_blocks·bits/8⌉]), or unpacked with A's type [N, n_blocks], or absent (2^(bits−1)).
/// Reference: W is dequantized to float32 once, then each output is a float32 dot product of a row of A and a row of W.
/// </summary>
internal static class MatMulNBitsOps
{
    [Op("MatMulNBits", 1, "com.microsoft")]
    public static Tensor MatMulNBits(Tensor A, Tensor B, Tensor scales, long K, long N, long block_size, Tensor? zero_points = null,
        Tensor? g_idx = null, Tensor? bias = null, long bits = 4, long accuracy_level = 0)
    {
        _ = accuracy_level; // a speed/precision hint; the reference always computes in float32
        if (g_idx is not null) throw new NotSupportedException("the deprecated g_idx input is not supported");
        if (bits < 2 || bits > 8) throw new ArgumentException($"bits must be 2..8, got {bits}");
        if (block_size < 16 || (block_size & (block_size - 1)) != 0) throw new ArgumentException($"block_size must be a power of two ≥ 16, got {block_size}");
        if (A.Rank < 1 || A.Shape[^1] != K) throw new ArgumentException($"A's last dim must be K = {K}, got {A.ShapeString}");
        int k = checked((int)K), n = checked((int)N), bs = (int)block_size, nb = (k + bs - 1) / bs, blob = bs * (int)bits / 8;
        if (B.DType != DType.UInt8 || B.Length != (long)n * nb * blob)
            throw new ArgumentException($"B must be uint8 [{n},{nb},{blob}], got {B.DType.Name()} {B.ShapeString}");
        if (scales.Length != (long)n * nb) throw new ArgumentException($"scales must have {n}×{nb} entries, got {scales.ShapeString}");
        var w = Dequantize(B.AsSpan<byte>(), QuantMath.ReadFloats(scales), zero_points, n, k, bs, (int)bits);

        var a = QuantMath.ReadFloats(A);
        var b = bias is null ? null : QuantMath.ReadFloats(bias);
        if (b is not null && b.Length != n) throw new ArgumentException($"bias must have N = {n} entries, got {bias!.ShapeString}");
        int rows = (int)Tensor.ElementCount(A.Shape[..^1]);
        var y = new float[(long)rows * n];
        Parallelism.ForRange(rows, 1, (start, end) =>
        {
            for (int m = start; m < end; m++)
            {
                var row = a.AsSpan(m * k, k);
                for (int j = 0; j < n; j++) y[m * n + j] = TensorPrimitives.Dot(row, w.AsSpan(j * k, k)) + (b?[j] ?? 0f);
            }
        });
        var shape = A.Shape[..^1].Append(n).ToArray();
        return QuantMath.WriteFloats(A.DType, shape, y);
    }

    /// <summary>W as float32 [N, K] row-major.</summary>
    internal static float[] Dequantize(ReadOnlySpan<byte> packed, float[] scale, Tensor? zeroPoints, int n, int k, int bs, int bits)
    {
        int nb = (k + bs - 1) / bs, blob = bs * bits / 8, zpRow = (nb * bits + 7) / 8;
        float[]? zpFloat = null;
        ReadOnlySpan<byte> zpPacked = default;
        if (zeroPoints is not null)
        {
            if (zeroPoints.DType == DType.UInt8)
            {
                if (zeroPoints.Length != (long)n * zpRow) throw new ArgumentException($"packed zero_points must have {n}×{zpRow} bytes, got {zeroPoints.ShapeString}");
                zpPacked = zeroPoints.AsSpan<byte>();
            }
            else
            {
                zpFloat = QuantMath.ReadFloats(zeroPoints);
                if (zpFloat.Length != (long)n * nb) throw new ArgumentException($"zero_points must have {n}×{nb} entries, got {zeroPoints.ShapeString}");
            }
        }
        float defaultZp = 1 << (bits - 1);
        var w = new float[(long)n * k];
        for (int row = 0; row < n; row++)
            for (int blk = 0; blk < nb; blk++)
            {
                int p = row * nb + blk;
                float zp = zpFloat is not null ? zpFloat[p] : zeroPoints is not null ? ReadBits(zpPacked, row * zpRow, blk, bits) : defaultZp;
                float s = scale[p];
                int blobStart = p * blob;
                for (int i = 0, kk = blk * bs; i < bs && kk < k; i++, kk++)
                    w[(long)row * k + kk] = (ReadBits(packed, blobStart, i, bits) - zp) * s;
            }
        return w;
    }

    /// <summary>Element <paramref name="index"/> of a little-endian bit stream of <paramref name="bits"/>-bit codes starting
    /// at byte <paramref name="start"/> (codes may straddle a byte boundary when bits does not divide 8).</summary>
    private static int ReadBits(ReadOnlySpan<byte> data, int start, int index, int bits)
    {
        int bit = index * bits, b = start + (bit >> 3), shift = bit & 7;
        int v = data[b] | (shift + bits > 8 && b + 1 < data.Length ? data[b + 1] << 8 : 0);
        return (v >> shift) & ((1 << bits) - 1);
    }
}
