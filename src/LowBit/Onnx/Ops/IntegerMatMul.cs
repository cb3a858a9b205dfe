using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// numpy.matmul shapes: a 1-D A is [1, K] and a 1-D B is [K, 1] (that dim is dropped from the output); leading
/// (batch) dims broadcast. <see cref="ABatch"/>/<see cref="BBatch"/> give, per output batch, the source matrix index.
/// </summary>
internal sealed class MatMulShape
{
    public int M, K, N;
    public int[] OutShape = [];
    public int[] ABatch = [], BBatch = [];
    public int Batches => ABatch.Length;

    public static MatMulShape Resolve(int[] a, int[] b)
    {
        if (a.Length == 0 || b.Length == 0) throw new ArgumentException("matmul inputs must have rank ≥ 1");
        var a2 = a.Length == 1 ? [1, a[0]] : a;
        var b2 = b.Length == 1 ? [b[0], 1] : b;
        int k = a2[^1];
        if (b2[^2] != k) throw new ArgumentException($"matmul shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not align ({k} vs {b2[^2]})");
        var aBatch = a2[..^2];
        var bBatch = b2[..^2];
        var outBatch = Broadcast.Shape(aBatch, bBatch);
        var outShape = new List<int>(outBatch);
        if (a.Length > 1) outShape.Add(a2[^2]);
        if (b.Length > 1) outShape.Add(b2[^1]);
        return new MatMulShape
        {
            M = a2[^2], K = k, N = b2[^1], OutShape = outShape.ToArray(),
            ABatch = Broadcast.SourceIndex(aBatch, outBatch), BBatch = Broadcast.SourceIndex(bBatch, outBatch),
        };
    }
}

/// <summary>
/// Integer matmul reference: <c>acc[b, m, n] = Σ_k a[b, m, k] · b[b, k, n]</c> in int32 (wrapping), on centered
/// inputs (zero points already subtracted). Row-major; each output row accumulates <c>a[m,k] · B[k,:]</c> over k (a
/// contiguous multiply-add). Parallel over (batch, m).
/// </summary>
internal static class IntegerMatMul
{
    public static int[] Run(MatMulShape s, int[] a, int[] b)
    {
        var acc = new int[(long)s.Batches * s.M * s.N];
        int rows = s.Batches * s.M;
        Parallelism.ForRange(rows, Math.Max(1, 4096 / Math.Max(1, s.K * s.N)), (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int batch = r / s.M, m = r % s.M;
                int aRow = (s.ABatch[batch] * s.M + m) * s.K, bMat = s.BBatch[batch] * s.K * s.N;
                var dst = acc.AsSpan(r * s.N, s.N);
                for (int k = 0; k < s.K; k++)
                {
                    int av = a[aRow + k];
                    if (av != 0) TensorPrimitives.MultiplyAdd(b.AsSpan(bMat + k * s.N, s.N), av, dst, dst);
                }
            }
        });
        return acc;
    }

    /// <summary>
    /// x − zp as int, zp broadcast numpy-style against x. A 1-D zero point of length <paramref name="rowsOf1D"/> &gt; 1
    /// means per-row (shape [rows, 1]) for A; for B pass 0 (1-D means per column, which numpy broadcasting already gives).
    /// </summary>
    public static int[] Centered(Tensor x, Tensor? zeroPoint, string name, bool oneDimIsPerRow)
    {
        if (x.DType is not (DType.Int8 or DType.UInt8)) throw new ArgumentException($"{name} must be int8 or uint8, got {x.DType.Name()}");
        var v = QuantMath.ReadInts(x);
        if (zeroPoint is null) return v;
        if (zeroPoint.DType != x.DType) throw new ArgumentException($"{name} zero point type {zeroPoint.DType.Name()} differs from {name} type {x.DType.Name()}");
        var z = QuantMath.ReadInts(zeroPoint);
        if (z.Length == 1)
        {
            if (z[0] != 0) for (int i = 0; i < v.Length; i++) v[i] -= z[0];
            return v;
        }
        var zShape = oneDimIsPerRow && zeroPoint.Rank == 1 ? new[] { zeroPoint.Length, 1 } : zeroPoint.Shape;
        if (zShape.Length > x.Rank || !Broadcast.Shape(zShape, x.Shape).SequenceEqual(x.Shape))
            throw new ArgumentException($"{name} zero point shape {zeroPoint.ShapeString} does not broadcast to {x.ShapeString}");
        var map = Broadcast.SourceIndex(zShape, x.Shape);
        for (int i = 0; i < v.Length; i++) v[i] -= z[map[i]];
        return v;
    }
}
