using LowBit.Formats;
using LowBit.Kernels;

namespace LowBit.Quantization;

/// <summary>The CPU-dependent choice made for a quantization run and why (recorded in the manifest).</summary>
public sealed record CpuDecision(CpuFeatures Cpu, bool ReduceRange, string Reason);

/// <summary>
/// CPU-aware defaults (DESIGN.md §7.3, docs/quantization.md "Saturation"). ONNX Runtime's x86 u8×s8 GEMM without VNNI
/// multiplies with <c>vpmaddubsw</c>: it adds two adjacent u8·s8 products into an int16 with saturation, and
/// 255·127 + 255·127 = 64770 exceeds 32767, so a layer with large activations and same-sign weight pairs silently
/// clips. VNNI's <c>vpdpbusd</c> accumulates in int32 and ARM's SDOT/UDOT (or SMULL widening) never saturate.
/// On an affected CPU, signed 8-bit weights become 7-bit (reduce-range: [−64, 63], 255·64·2 = 32640 fits), which
/// keeps the fast u8s8 kernel; see the docs for why this beats u8u8 there.
/// </summary>
public static class CpuDefaults
{
    /// <summary>The decision for <paramref name="config"/> on its target CPU (this machine when unset).</summary>
    public static CpuDecision Decide(QuantizerConfig config)
    {
        var cpu = config.TargetCpu ?? CpuFeatures.Current;
        bool u8s8 = config.Mode != QuantMode.WeightOnly && config.Weights.Format is IntFormat { Bits: 8, IsSigned: true }
            && config.Activations?.Format is IntFormat { Bits: 8 };
        if (config.ReduceRange is bool forced)
        {
            string why = forced ? "reduce-range requested: signed 8-bit weights stored as 7-bit"
                : "full-range weights requested";
            if (!forced && u8s8 && cpu.U8S8Saturates)
                why += $"; WARNING: {cpu} has no VNNI, ONNX Runtime's u8s8 kernels may saturate (vpmaddubsw int16 pair sums) and differ from LowBit's simulation";
            return new CpuDecision(cpu, forced, why);
        }
        if (config.Mode == QuantMode.WeightOnly)
            return new CpuDecision(cpu, false, "weight-only: ONNX Runtime computes in float (or MatMulNBits), no integer saturation");
        if (!u8s8)
            return new CpuDecision(cpu, false, $"weights {config.Weights.Format.Name} with activations {config.Activations?.Format.Name}: no u8×s8 8-bit kernel, nothing to narrow");
        if (cpu.U8S8Saturates)
            return new CpuDecision(cpu, true,
                $"{cpu}: AVX2/AVX-512 without VNNI, where ONNX Runtime's u8s8 kernels use vpmaddubsw (int16 saturating pair sums, 255·127·2 > 32767); " +
                "weights narrowed to 7 bits ([-64, 63], 255·64·2 = 32640 fits) so ONNX Runtime computes what LowBit simulates");
        if (cpu.HasVnni)
            return new CpuDecision(cpu, false, $"{cpu}: VNNI (vpdpbusd) accumulates u8·s8 in int32, full 8-bit weights are safe");
        if (cpu.IsArm)
            return new CpuDecision(cpu, false, $"{cpu}: ARM integer kernels widen before adding (SDOT/UDOT or SMULL), full 8-bit weights are safe");
        return new CpuDecision(cpu, false, $"{cpu}: no saturating u8s8 SIMD path detected, full 8-bit weights");
    }
}
