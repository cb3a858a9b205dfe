using System.Runtime.Intrinsics.X86;
using LowBit.Kernels;

namespace LowBit.Kernels.Tests;

public class CpuFeaturesTests
{
    [Fact]
    public void Current_AgreesWithJitWhereItReports()
    {
        var c = CpuFeatures.Current;
        // The JIT reports a feature only when CPUID and the OS both enable it, so it implies ours (not the converse:
        // DOTNET_Enable*=0 hides features from the JIT, not from native runtimes).
        if (Avx2.IsSupported) Assert.True(c.Avx2);
        if (Avx512F.IsSupported) Assert.True(c.Avx512F);
        if (AvxVnni.IsSupported) Assert.True(c.AvxVnni);
        Assert.Equal(c.IsX86, System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86);
    }

    [Theory]
    [InlineData(true, false, false, false, true)]
    [InlineData(true, true, false, false, true)]
    [InlineData(true, false, true, false, false)]
    [InlineData(true, true, false, true, false)]
    [InlineData(false, false, false, false, false)]
    public void U8S8Saturates_OnlyAvxWithoutVnni(bool avx2, bool avx512, bool avxVnni, bool avx512Vnni, bool expected) =>
        Assert.Equal(expected, new CpuFeatures("x64", avx2, avx512, avxVnni, avx512Vnni, false, false).U8S8Saturates);

    [Fact]
    public void ToString_ListsFeatures() =>
        Assert.Equal("x64: AVX2, AVX512-VNNI", new CpuFeatures("x64", true, false, false, true, false, false).ToString());
}
