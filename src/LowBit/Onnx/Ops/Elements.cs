using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Type-generic element movement for data-layout ops. An element is moved as its raw storage unit: every dtype is viewed
/// as byte/ushort/uint/ulong of the same width (bool, float16, bfloat16 and float8 included) or as a string reference.
/// Packed 4-bit tensors are not handled here: ops <see cref="Unpack"/> them to one byte per element and
/// <see cref="Repack"/> the result (two nibbles per byte would make every index arithmetic sub-byte).
/// </summary>
internal static class Elements
{
    /// <summary>The logical elements of <paramref name="t"/> reinterpreted as <typeparamref name="T"/>, which must have the
    /// storage width (or be string for string tensors).</summary>
    public static Span<T> View<T>(Tensor t) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(t.Data)), t.Length);

    /// <summary>0 for strings (references), else the storage width in bytes (1, 2, 4 or 8).</summary>
    private static int Width(DType d)
    {
        if (d == DType.String) return 0;
        if (d.IsPacked4()) throw new InvalidOperationException($"packed {d.Name()} tensors must be unpacked before moving elements");
        return d.StorageElementSize();
    }

    /// <summary>A packed 4-bit tensor as uint8 with one nibble per byte; other tensors unchanged.</summary>
    public static Tensor Unpack(Tensor t)
    {
        if (!t.DType.IsPacked4()) return t;
        var r = Tensor.Empty(DType.UInt8, t.Shape);
        var packed = (byte[])t.Data;
        var dst = r.AsSpan<byte>();
        for (int i = 0; i < dst.Length; i++) dst[i] = (byte)Int4Packing.GetUnsigned(packed, i);
        return r;
    }

    /// <summary>Inverse of <see cref="Unpack"/>: packs the nibbles of a uint8 tensor as <paramref name="dtype"/> when that
    /// type is packed; returns <paramref name="t"/> otherwise.</summary>
    public static Tensor Repack(Tensor t, DType dtype)
    {
        if (!dtype.IsPacked4() || t.DType == dtype) return t;
        var r = Tensor.Empty(dtype, t.Shape);
        var src = t.AsSpan<byte>();
        var dst = r.AsSpan<byte>();
        // Byte k = elem 2k | elem 2k+1 << 4; an odd tail leaves the high nibble 0.
        for (int k = 0; k < dst.Length; k++)
        {
            int lo = src[2 * k] & 0xF, hi = 2 * k + 1 < src.Length ? src[2 * k + 1] & 0xF : 0;
            dst[k] = (byte)(lo | hi << 4);
        }
        return r;
    }

    /// <summary>dst[dstOff ..+count) = src[srcOff ..+count) (same dtype, unpacked).</summary>
    public static void Copy(Tensor src, int srcOff, Tensor dst, int dstOff, int count)
    {
        if (count > 0) Array.Copy(src.Data, srcOff, dst.Data, dstOff, count);
    }

    /// <summary>dst[i] = src[map[i]] for every i in map.</summary>
    public static void Gather(Tensor src, Tensor dst, ReadOnlySpan<int> map, int dstOff = 0)
    {
        switch (Width(src.DType))
        {
            case 0: Gather(View<string>(src), View<string>(dst)[dstOff..], map); break;
            case 1: Gather(View<byte>(src), View<byte>(dst)[dstOff..], map); break;
            case 2: Gather(View<ushort>(src), View<ushort>(dst)[dstOff..], map); break;
            case 4: Gather(View<uint>(src), View<uint>(dst)[dstOff..], map); break;
            default: Gather(View<ulong>(src), View<ulong>(dst)[dstOff..], map); break;
        }
    }

    private static void Gather<T>(ReadOnlySpan<T> src, Span<T> dst, ReadOnlySpan<int> map)
    {
        for (int i = 0; i < map.Length; i++) dst[i] = src[map[i]];
    }

    /// <summary>dst[map[i]] = src[srcOff + i] for every i in map (later writes win on repeated targets).</summary>
    public static void Scatter(Tensor src, Tensor dst, ReadOnlySpan<int> map, int srcOff = 0)
    {
        switch (Width(src.DType))
        {
            case 0: Scatter(View<string>(src)[srcOff..], View<string>(dst), map); break;
            case 1: Scatter(View<byte>(src)[srcOff..], View<byte>(dst), map); break;
            case 2: Scatter(View<ushort>(src)[srcOff..], View<ushort>(dst), map); break;
            case 4: Scatter(View<uint>(src)[srcOff..], View<uint>(dst), map); break;
            default: Scatter(View<ulong>(src)[srcOff..], View<ulong>(dst), map); break;
        }
    }

    private static void Scatter<T>(ReadOnlySpan<T> src, Span<T> dst, ReadOnlySpan<int> map)
    {
        for (int i = 0; i < map.Length; i++) dst[map[i]] = src[i];
    }

    /// <summary>dst[start ..+count) = value[valueIndex].</summary>
    public static void Fill(Tensor dst, int start, int count, Tensor value, int valueIndex = 0)
    {
        if (count <= 0) return;
        switch (Width(dst.DType))
        {
            case 0: View<string>(dst).Slice(start, count).Fill(View<string>(value)[valueIndex]); break;
            case 1: View<byte>(dst).Slice(start, count).Fill(View<byte>(value)[valueIndex]); break;
            case 2: View<ushort>(dst).Slice(start, count).Fill(View<ushort>(value)[valueIndex]); break;
            case 4: View<uint>(dst).Slice(start, count).Fill(View<uint>(value)[valueIndex]); break;
            default: View<ulong>(dst).Slice(start, count).Fill(View<ulong>(value)[valueIndex]); break;
        }
    }

    /// <summary>
    /// Copies a strided view: for every index i over <paramref name="shape"/>,
    /// dst[dstOff + Σ i_k·dstStrides_k] = src[srcOff + Σ i_k·srcStrides_k]. Strides are in elements and may be 0
    /// (broadcast) or negative (reversed slices). Dims that are contiguous on both sides are merged first so the inner
    /// loop is one block copy where possible.
    /// </summary>
    public static void StridedCopy(Tensor src, long srcOff, long[] srcStrides, Tensor dst, long dstOff, long[] dstStrides, int[] shape)
    {
        foreach (int d in shape) if (d == 0) return;
        var (dims, ss, ds) = Merge(shape, srcStrides, dstStrides);
        switch (Width(src.DType))
        {
            case 0: Strided(View<string>(src), srcOff, ss, View<string>(dst), dstOff, ds, dims); break;
            case 1: Strided(View<byte>(src), srcOff, ss, View<byte>(dst), dstOff, ds, dims); break;
            case 2: Strided(View<ushort>(src), srcOff, ss, View<ushort>(dst), dstOff, ds, dims); break;
            case 4: Strided(View<uint>(src), srcOff, ss, View<uint>(dst), dstOff, ds, dims); break;
            default: Strided(View<ulong>(src), srcOff, ss, View<ulong>(dst), dstOff, ds, dims); break;
        }
    }

    /// <summary>Drops size-1 dims and merges dim k into k+1 when both sides step over it as one run
    /// (stride_k = stride_{k+1}·n_{k+1}).</summary>
    private static (int[] Dims, long[] Src, long[] Dst) Merge(int[] shape, long[] s, long[] d)
    {
        var dims = new List<int>();
        var ss = new List<long>();
        var ds = new List<long>();
        for (int k = 0; k < shape.Length; k++)
        {
            if (shape[k] == 1) continue;
            int last = dims.Count - 1;
            if (last >= 0 && ss[last] == s[k] * shape[k] && ds[last] == d[k] * shape[k])
            {
                dims[last] *= shape[k];
                ss[last] = s[k];
                ds[last] = d[k];
                continue;
            }
            dims.Add(shape[k]);
            ss.Add(s[k]);
            ds.Add(d[k]);
        }
        if (dims.Count == 0) return (new[] { 1 }, new[] { 0L }, new[] { 0L });
        return (dims.ToArray(), ss.ToArray(), ds.ToArray());
    }

    private static void Strided<T>(Span<T> src, long srcOff, long[] ss, Span<T> dst, long dstOff, long[] ds, int[] dims)
    {
        int r = dims.Length, inner = dims[r - 1];
        long si = ss[r - 1], di = ds[r - 1];
        bool block = si == 1 && di == 1;
        var idx = new int[r];
        long s = srcOff, d = dstOff;
        while (true)
        {
            if (block) src.Slice((int)s, inner).CopyTo(dst.Slice((int)d, inner));
            else if (si == 0 && di == 1) dst.Slice((int)d, inner).Fill(src[(int)s]);
            else
                for (int i = 0; i < inner; i++) dst[(int)(d + i * di)] = src[(int)(s + i * si)];
            int k = r - 2;
            for (; k >= 0; k--)
            {
                s += ss[k];
                d += ds[k];
                if (++idx[k] < dims[k]) break;
                s -= ss[k] * dims[k];
                d -= ds[k] * dims[k];
                idx[k] = 0;
            }
            if (k < 0) return;
        }
    }
}
