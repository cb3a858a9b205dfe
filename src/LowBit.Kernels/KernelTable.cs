using LowBit.Kernels.Gemm;

namespace LowBit.Kernels;

/// <summary>One implementation of a kernel: chosen when <see cref="IsSupported"/> holds on this CPU.</summary>
public sealed record KernelRow<T>(string Name, Func<bool> IsSupported, T Implementation) where T : class;

/// <summary>
/// Ordered implementations per kernel, fastest first; the first supported row is used. Setting
/// <c>LOWBIT_FORCE_KERNEL</c> to a row name (e.g. <c>reference</c>, <c>avx2</c>; several comma-separated) picks that row
/// wherever a kernel has a supported row of that name, for debugging and for testing every row on one machine.
/// </summary>
public static class KernelTable
{
    public const string ForceVariable = "LOWBIT_FORCE_KERNEL";

    /// <summary>FP32 GEMM (also convolution via implicit im2col).</summary>
    public static IReadOnlyList<KernelRow<SgemmKernel>> SgemmRows { get; } =
    [
        new("avx512", () => GemmF32.Avx512.Supported, GemmF32.Avx512.Instance),
        new("avx2", () => GemmF32.Avx2.Supported, GemmF32.Avx2.Instance),
        new("reference", () => true, GemmF32.Reference.Instance),
    ];

    /// <summary>The SGEMM row in use (chosen once per process).</summary>
    public static SgemmKernel Sgemm { get; } = Select(SgemmRows, Environment.GetEnvironmentVariable(ForceVariable));

    /// <summary>The first supported row named in <paramref name="force"/> (comma-separated), else the first supported row.</summary>
    public static T Select<T>(IReadOnlyList<KernelRow<T>> rows, string? force) where T : class
    {
        if (!string.IsNullOrWhiteSpace(force))
            foreach (var name in force.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                foreach (var row in rows)
                    if (string.Equals(row.Name, name, StringComparison.OrdinalIgnoreCase) && row.IsSupported())
                        return row.Implementation;
        foreach (var row in rows)
            if (row.IsSupported()) return row.Implementation;
        throw new InvalidOperationException("no supported kernel row");
    }

    /// <summary>Rows usable on this CPU (for equivalence tests and benchmarks).</summary>
    public static IEnumerable<KernelRow<T>> Supported<T>(IReadOnlyList<KernelRow<T>> rows) where T : class =>
        rows.Where(r => r.IsSupported());
}
