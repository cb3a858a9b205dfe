using System.Runtime.Intrinsics.X86;
using LowBit.Kernels.Gemm;

namespace LowBit.Kernels.Tests;

public class KernelTableTests
{
    [Fact]
    public void Select_ForcedName_PicksThatRow()
    {
        var rows = KernelTable.SgemmRows;
        Assert.Equal("reference", KernelTable.Select(rows, "reference").Name);
        Assert.Equal("reference", KernelTable.Select(rows, "nonexistent, reference").Name);
    }

    [Fact]
    public void Select_UnknownOrUnsupportedName_FallsBackToFirstSupported()
    {
        var first = KernelTable.Supported(KernelTable.SgemmRows).First().Implementation;
        Assert.Same(first, KernelTable.Select(KernelTable.SgemmRows, "nonexistent"));
        Assert.Same(first, KernelTable.Select(KernelTable.SgemmRows, null));
    }

    [Fact]
    public void SimdRows_AreGuardedByTheirInstructionSets()
    {
        var supported = KernelTable.Supported(KernelTable.SgemmRows).Select(r => r.Name).ToHashSet();
        Assert.Equal(Avx2.IsSupported && Fma.IsSupported, supported.Contains("avx2"));
        Assert.Equal(Avx512F.IsSupported && Fma.IsSupported, supported.Contains("avx512"));
        Assert.Contains("reference", supported);
        if (Environment.GetEnvironmentVariable(KernelTable.ForceVariable) is null)
            Assert.Equal(KernelTable.Supported(KernelTable.SgemmRows).First().Name, GemmF32.Kernel.Name);
    }
}
