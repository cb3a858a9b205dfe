using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels;

/// <summary>
/// Integer-GEMM features of a CPU, as the native runtimes (ONNX Runtime's MLAS) see them. x86 bits come from CPUID, not
/// from .NET's <c>IsSupported</c>, because <c>DOTNET_EnableAVX512F=0</c> and friends only change what the JIT emits, not
/// what a native library dispatches to. .NET 10 exposes <see cref="AvxVnni"/> but no AVX512-VNNI class, another reason
/// to read CPUID leaf 7 directly:
/// <list type="bullet">
/// <item>leaf 7, sub-leaf 0: EBX bit 5 AVX2, EBX bit 16 AVX512F, ECX bit 11 AVX512_VNNI;</item>
/// <item>leaf 7, sub-leaf 1: EAX bit 4 AVX_VNNI (the VEX-encoded form, e.g. Alder Lake, Zen 5 client);</item>
/// <item>leaf 1: ECX bit 27 OSXSAVE; XCR0 bits 1–2 (SSE/AVX state) and 5–7 (AVX-512 state) must be enabled by the OS.</item>
/// </list>
/// ARM: AdvSimd (NEON) and the dot-product extension (SDOT/UDOT, <see cref="Dp"/>).
/// </summary>
public sealed record CpuFeatures(string Architecture, bool Avx2, bool Avx512F, bool AvxVnni, bool Avx512Vnni, bool AdvSimd, bool DotProduct)
{
    /// <summary>The CPU this process runs on (computed once).</summary>
    public static CpuFeatures Current { get; } = Detect();

    public bool IsX86 => Architecture is "x64" or "x86";
    public bool IsArm => Architecture is "arm64" or "arm";

    /// <summary>Either VNNI form: u8·s8 products are summed in 32 bits by <c>vpdpbusd</c>, nothing saturates.</summary>
    public bool HasVnni => AvxVnni || Avx512Vnni;

    /// <summary>
    /// x86 with AVX2 or AVX-512 but no VNNI: ONNX Runtime's u8×s8 kernels multiply with <c>vpmaddubsw</c>, which adds
    /// two adjacent u8·s8 products into a saturating int16 (255·127·2 = 64770 &gt; 32767), so outputs can be clipped.
    /// </summary>
    public bool U8S8Saturates => IsX86 && (Avx2 || Avx512F) && !HasVnni;

    /// <summary>Short list for reports, e.g. "x64: AVX2, AVX-512F, AVX-VNNI, AVX512-VNNI".</summary>
    public override string ToString()
    {
        var f = new List<string>();
        if (Avx2) f.Add("AVX2");
        if (Avx512F) f.Add("AVX-512F");
        if (AvxVnni) f.Add("AVX-VNNI");
        if (Avx512Vnni) f.Add("AVX512-VNNI");
        if (AdvSimd) f.Add("AdvSIMD");
        if (DotProduct) f.Add("DotProd");
        return $"{Architecture}: {(f.Count == 0 ? "no SIMD integer features" : string.Join(", ", f))}";
    }

    private static CpuFeatures Detect()
    {
        string arch = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        if (arch is not ("x64" or "x86"))
            return new CpuFeatures(arch, false, false, false, false, System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, Dp.IsSupported);
        try
        {
            return DetectX86(arch);
        }
        catch (PlatformNotSupportedException)
        {
            return new CpuFeatures(arch, false, false, false, false, false, false);  // CPUID unavailable to managed code
        }
    }

    private static CpuFeatures DetectX86(string arch)
    {
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
        bool osxsave = (ecx1 & (1 << 27)) != 0;
        ulong xcr0 = osxsave ? ReadXcr0() : 0;
        bool avxState = (xcr0 & 0b110) == 0b110, avx512State = avxState && (xcr0 & 0b1110_0000) == 0b1110_0000;
        if (maxLeaf < 7) return new CpuFeatures(arch, false, false, false, false, false, false);
        var (_, ebx7, ecx7, _) = X86Base.CpuId(7, 0);
        var (eax71, _, _, _) = X86Base.CpuId(7, 1);
        bool avx2 = avxState && (ebx7 & (1 << 5)) != 0;
        bool avx512 = avx512State && (ebx7 & (1 << 16)) != 0;
        bool avxVnni = avxState && (eax71 & (1 << 4)) != 0;
        bool avx512Vnni = avx512 && (ecx7 & (1 << 11)) != 0;
        return new CpuFeatures(arch, avx2, avx512, avxVnni, avx512Vnni, false, false);
    }

    /// <summary>XCR0 as the JIT sees it: .NET does not expose xgetbv, but its AVX / AVX-512F <c>IsSupported</c> include
    /// the OS-state check (YMM state bits 1–2, opmask/ZMM bits 5–7). When the user turned an ISA off for the JIT
    /// (<c>DOTNET_Enable*=0</c>), the OS state is assumed enabled, as on every current x86-64 Linux and Windows, and
    /// CPUID alone decides what the native runtime will use.</summary>
    private static ulong ReadXcr0()
    {
        bool jitRestricted = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Any(k => k.StartsWith("DOTNET_Enable", StringComparison.OrdinalIgnoreCase) && Environment.GetEnvironmentVariable(k) == "0");
        ulong x = 0b11;
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported || jitRestricted) x |= 0b100;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported || jitRestricted) x |= 0b1110_0000;
        return x;
    }
}
