using System.Runtime.CompilerServices;
using LowBit.Kernels.Conv;

namespace LowBit.Kernels.Gemm;

/// <summary>
/// Copies operand blocks into register-tile panels (layout in <see cref="GemmF32.Blocked"/>): a left panel holds MR rows
/// interleaved per k (p·MR + r), a right panel NR columns per k (p·NR + j). Missing rows/columns are written as zeros so
/// the micro-kernel never branches on edges.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Packs rows [i0, i0+mc) × k [p0, p0+kc) of op(A) into ⌈mc/mr⌉ panels at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(in Operand a, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        if (a.Kind is not (OperandKind.Plain or OperandKind.Im2ColT)) throw new InvalidOperationException("left operand must be a matrix");
        for (int ip = 0; ip < mc; ip += mr)
        {
            int rows = Math.Min(mr, mc - ip);
            float* d = dst + (long)ip * kc;
            if (a.Kind == OperandKind.Im2ColT)
            {
                // Row i of im2colᵀ is pixel i: a left panel (p·mr + r) is the right-panel layout of mr im2col columns.
                Im2Col.PackPanel(a.Conv, a.Ptr, p0, kc, i0 + ip, rows, d, mr);
                if (rows < mr)
                    for (int p = 0; p < kc; p++) PanelCopy.Zero(d + p * mr + rows, mr - rows);
            }
            else if (a.Trans)
            {
                // op(A)[i, p] = A[p, i]: for each p the panel's rows are contiguous in memory.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a.Ptr + (long)(p0 + p) * a.Ld + i0 + ip;
                    float* dp = d + p * mr;
                    int r = 0;
                    for (; r < rows; r++) dp[r] = src[r];
                    for (; r < mr; r++) dp[r] = 0f;
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a.Ptr + (long)(i0 + ip + r) * a.Ld + p0;
                    for (int p = 0; p < kc; p++) d[p * mr + r] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) d[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs k [p0, p0+kc) × columns [j0, j0+nc) of op(B) into ⌈nc/nr⌉ panels at <paramref name="dst"/>. With
    /// <paramref name="perImage"/> &gt; 0, B is a batch of images laid side by side: column j is column j mod perImage of
    /// the operand shifted by (j / perImage)·strideB, so one panel may hold the last pixels of one image and the first
    /// of the next (a batched convolution then has no per-image edge tiles).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(in Operand b, int p0, int kc, int j0, int nc, int nr, float* dst, int perImage = 0, long strideB = 0)
    {
        if (b.Kind == OperandKind.Packed) throw new InvalidOperationException("a packed right operand is not re-packed");
        for (int jp = 0; jp < nc; jp += nr)
        {
            int cols = Math.Min(nr, nc - jp);
            float* d = dst + (long)jp * kc;
            for (int off = 0; off < cols;)
            {
                int j = j0 + jp + off, len = cols - off;
                var piece = b;
                if (perImage > 0)
                {
                    piece.Ptr += j / perImage * strideB;
                    j %= perImage;
                    len = Math.Min(len, perImage - j);
                }
                PackColumns(piece, p0, kc, j, len, d + off, nr);
                off += len;
            }
            if (cols < nr)
                for (int p = 0; p < kc; p++) PanelCopy.Zero(d + p * nr + cols, nr - cols);
        }
    }

    /// <summary>Columns [j, j+len) of op(B), k rows [p0, p0+kc), to dst with row stride ld.</summary>
    private static void PackColumns(in Operand b, int p0, int kc, int j, int len, float* dst, int ld)
    {
        switch (b.Kind)
        {
            case OperandKind.Plain when !b.Trans:
                for (int p = 0; p < kc; p++) PanelCopy.Copy(b.Ptr + (long)(p0 + p) * b.Ld + j, dst + (long)p * ld, len);
                break;
            case OperandKind.Plain:
                // op(B)[p, j] = B[j, p]: each column is contiguous along p.
                for (int c = 0; c < len; c++)
                {
                    float* src = b.Ptr + (long)(j + c) * b.Ld + p0;
                    for (int p = 0; p < kc; p++) dst[(long)p * ld + c] = src[p];
                }
                break;
            default:
                Im2Col.PackPanel(b.Conv, b.Ptr, p0, kc, j, len, dst, ld);
                break;
        }
    }
}
