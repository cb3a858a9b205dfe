using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Builds a com.microsoft MatMulNBits node from quantized weights (ONNX Runtime contrib op, see
/// <c>Onnx/Ops/MatMulNBits.cs</c> for its layout): B uint8 [N, n_blocks, blob] with blob = block·bits/8, each block of
/// column n along K packed as a little-endian bit stream (4 bits: element 2i in the low nibble); scales [N·n_blocks];
/// W[n, k] = (u − zp)·s with unsigned codes u. Signed codes are stored as u = q + 2^(bits−1) with zero point
/// z + 2^(bits−1); when every zero point is 2^(bits−1) (symmetric signed) the zero_points input is omitted.
/// Elements past K in the last block hold the zero point (they are never read). Per-channel (and per-tensor) weights
/// become blocks that all repeat their column's scale and zero point, the same numbers in MatMulNBits' layout.
/// </summary>
internal static class MatMulNBitsPacker
{
    /// <summary>The block size for <paramref name="p"/> on a weight with reduction length <paramref name="k"/>: the group
    /// size, or for per-channel/per-tensor parameters the power of two covering K (16…256).</summary>
    public static int BlockSize(QuantParams p, int k) =>
        p.BlockSize ?? Math.Clamp((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(k, 1)), 16, 256);

    /// <summary>Codes are [K, N] (MatMul B: groups along axis 0, channels along axis 1) or [N, K] (groups along axis 1).</summary>
    public static Node Build(Graph.Graph g, Node original, string a, Tensor weight, QuantParams p, bool kMajor, string? bias, int accuracyLevel)
    {
        var codes = CodeStorage.FromTensor(Affine.Quantize(weight, p));
        int k = kMajor ? weight.Shape[0] : weight.Shape[1], n = kMajor ? weight.Shape[1] : weight.Shape[0];
        var f = (IntFormat)p.Format;
        int bits = f.Bits <= 4 ? 4 : 8, bs = BlockSize(p, k), nb = (k + bs - 1) / bs, blob = bs * bits / 8;
        int offset = f.IsSigned ? 1 << (bits - 1) : 0;
        var packed = new byte[(long)n * nb * blob];
        var scales = new float[n * nb];
        var zeros = new int[n * nb];
        bool defaultZero = true;
        for (int col = 0; col < n; col++)
            for (int blk = 0; blk < nb; blk++)
            {
                // Scale layout: [K/B, N] for kMajor (axis 0 blocks), [N, K/B] otherwise; [N] per channel; [1] per tensor.
                int pi = p.Granularity switch
                {
                    PerGroup => kMajor ? blk * n + col : col * nb + blk,
                    PerChannel => col,
                    _ => 0,
                };
                scales[col * nb + blk] = p.Scales[pi];
                int zp = p.ZeroPoints[pi] + offset;
                zeros[col * nb + blk] = zp;
                defaultZero &= zp == 1 << (bits - 1);
                long start = ((long)col * nb + blk) * blob;
                for (int i = 0; i < bs; i++)
                {
                    int kk = blk * bs + i;
                    int u = kk < k ? codes[kMajor ? kk * n + col : col * k + kk] + offset : zp;
                    WriteBits(packed, start, i, bits, u);
                }
            }
        string stem = original.Name.Length > 0 ? original.Name : original.Outputs[0];
        var inputs = new List<string>
        {
            a,
            QdqNodes.AddInitializer(g, stem + "_B_quantized", Tensor.FromArray(packed, n, nb, blob)),
            QdqNodes.AddInitializer(g, stem + "_B_scales", Tensor.FromArray(scales, n * nb)),
        };
        if (!defaultZero || bias is not null)
        {
            if (defaultZero) inputs.Add("");
            else
            {
                int row = (nb * bits + 7) / 8;
                var zp = new byte[n * row];
                for (int col = 0; col < n; col++)
                    for (int blk = 0; blk < nb; blk++) WriteBits(zp, (long)col * row, blk, bits, zeros[col * nb + blk]);
                inputs.Add(QdqNodes.AddInitializer(g, stem + "_B_zero_points", Tensor.FromArray(zp, n * row)));
            }
        }
        if (bias is not null) { inputs.Add(""); inputs.Add(bias); }
        var node = new Node("MatMulNBits", inputs, [original.Outputs[0]], original.Name, "com.microsoft");
        node.With("K", (long)k).With("N", (long)n).With("bits", (long)bits).With("block_size", (long)bs).With("accuracy_level", (long)accuracyLevel);
        return node;
    }

    private static void WriteBits(byte[] data, long start, int index, int bits, int value)
    {
        long bit = (long)index * bits;
        long b = start + (bit >> 3);
        int shift = (int)(bit & 7);
        data[b] |= (byte)((value << shift) & 0xFF);
        if (shift + bits > 8) data[b + 1] |= (byte)(value >> (8 - shift));
    }
}
