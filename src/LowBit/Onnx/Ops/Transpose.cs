using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Axis permutations: Transpose, DepthToSpace, SpaceToDepth (the latter two are reshape → transpose → reshape).</summary>
internal static class TransposeOps
{
    [Op("Transpose", 1)]
    public static Tensor Transpose(Tensor data, long[]? perm = null)
    {
        int r = data.Rank;
        var p = new int[r];
        if (perm is null) for (int i = 0; i < r; i++) p[i] = r - 1 - i;
        else
        {
            if (perm.Length != r) throw new ArgumentException($"Transpose: perm [{string.Join(",", perm)}] does not match rank {r}");
            p = ShapeArgs.Axes(perm, r, "perm");
        }
        return Permute(data, data.Shape, p);
    }

    /// <summary>Views <paramref name="x"/> as <paramref name="viewShape"/> and returns the contiguous tensor with
    /// out.shape[i] = viewShape[perm[i]], out[i_0..] = view[i_{perm⁻¹}].</summary>
    internal static Tensor Permute(Tensor x, int[] viewShape, int[] perm)
    {
        var u = Elements.Unpack(x);
        var inStrides = ShapeArgs.Strides(viewShape);
        var outShape = perm.Select(a => viewShape[a]).ToArray();
        var srcStrides = perm.Select(a => inStrides[a]).ToArray();
        var y = Tensor.Empty(u.DType, outShape);
        Elements.StridedCopy(u, 0, srcStrides, y, 0, ShapeArgs.Strides(outShape), outShape);
        return Elements.Repack(y, x.DType);
    }

    [Op("DepthToSpace", 1)]
    public static Tensor DepthToSpace(Tensor input, long blocksize, string mode = "DCR")
    {
        var (n, c, h, w) = Nchw(input, "DepthToSpace");
        int b = Block(blocksize);
        if (c % (b * b) != 0) throw new ArgumentException($"DepthToSpace: channels {c} are not divisible by blocksize² {b * b}");
        int cb = c / (b * b);
        Tensor t = mode switch
        {
            // DCR: depth is split as (b_h, b_w, C'); CRD: as (C', b_h, b_w).
            "DCR" => Permute(input, new[] { n, b, b, cb, h, w }, new[] { 0, 3, 4, 1, 5, 2 }),
            "CRD" => Permute(input, new[] { n, cb, b, b, h, w }, new[] { 0, 1, 4, 2, 5, 3 }),
            _ => throw new ArgumentException($"DepthToSpace: unknown mode '{mode}'"),
        };
        return t.Reshape(n, cb, h * b, w * b);
    }

    [Op("SpaceToDepth", 1)]
    public static Tensor SpaceToDepth(Tensor input, long blocksize)
    {
        var (n, c, h, w) = Nchw(input, "SpaceToDepth");
        int b = Block(blocksize);
        if (h % b != 0 || w % b != 0) throw new ArgumentException($"SpaceToDepth: spatial dims {h}x{w} are not divisible by blocksize {b}");
        var t = Permute(input, new[] { n, c, h / b, b, w / b, b }, new[] { 0, 3, 5, 1, 2, 4 });
        return t.Reshape(n, c * b * b, h / b, w / b);
    }

    private static (int N, int C, int H, int W) Nchw(Tensor x, string op) =>
        x.Rank == 4 ? (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3])
            : throw new ArgumentException($"{op}: input must be 4-D (NCHW), got {x.ShapeString}");

    private static int Block(long b) =>
        b is >= 1 and <= 1 << 16 ? (int)b : throw new ArgumentException($"blocksize {b} is out of range");
}
