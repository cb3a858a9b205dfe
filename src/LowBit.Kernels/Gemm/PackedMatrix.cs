using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowBit.Kernels.Gemm;

/// <summary>
/// A GEMM operand (op(A), M×K, or op(B), K×N) rearranged once into the layout the kernel that packed it reads, so
/// repeated products with the same weights skip packing. Storage is pinned and 64-byte aligned; the layout is private
/// to <see cref="Kernel"/> (reference: row-major copy; blocked kernels: k-blocks of register-tile panels).
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly float[] storage;
    private readonly int offset;

    /// <summary>The kernel whose layout this is; only that kernel accepts it.</summary>
    public SgemmKernel Kernel { get; }
    /// <summary>True for a left operand (M×K), false for a right operand (K×N).</summary>
    public bool IsLeft { get; }
    public int Rows { get; }
    public int Cols { get; }
    public long Bytes => (long)storage.Length * sizeof(float);

    internal PackedMatrix(SgemmKernel kernel, bool isLeft, int rows, int cols, int length)
    {
        Kernel = kernel;
        IsLeft = isLeft;
        Rows = rows;
        Cols = cols;
        storage = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
        offset = (int)(((64 - (address & 63)) & 63) / sizeof(float));
        Span.Clear();
    }

    /// <summary>Start of the packed data (valid for the object's lifetime: the array is pinned).</summary>
    internal float* Pointer => (float*)Unsafe.AsPointer(ref storage[offset]);
    internal Span<float> Span => storage.AsSpan(offset, storage.Length - 16);
}

/// <summary>Thread-local, pinned, 64-byte aligned scratch for packing panels (grown, never shrunk).</summary>
internal static unsafe class PackBuffers
{
    [ThreadStatic] private static float[]? a, b, c, padded;
    [ThreadStatic] private static int[]? offsets;

    public static float* A(int length) => Get(ref a, length);
    public static float* B(int length) => Get(ref b, length);
    public static float* Scratch(int length) => Get(ref c, length);
    /// <summary>A zero-padded image for direct convolution (read by the caller's worker threads during the call).</summary>
    public static float* Padded(int length) => Get(ref padded, length);

    /// <summary>Per-k offsets for direct convolution (pinned; valid until the next call on this thread).</summary>
    public static int* Offsets(int length)
    {
        if (offsets is null || offsets.Length < length) offsets = GC.AllocateUninitializedArray<int>(length, pinned: true);
        return (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(offsets));
    }

    private static float* Get(ref float[]? buf, int length)
    {
        if (buf is null || buf.Length < length + 16) buf = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
        return (float*)((address + 63) & ~(nint)63);
    }
}
