using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Weight code ranges for ONNX Runtime parity of u8·s8 integer ops. Without VNNI, ONNX Runtime's x86 u8s8 kernels add
/// two adjacent u8·s8 products into an int16 with saturation (vpmaddubsw: 255·127·2 = 64770 > 32767), so its exact
/// results differ from the ONNX spec on full-range int8 weights. There the tests draw int8 weights from [−64, 63]
/// (255·64·2 = 32640 fits), the range LowBit's reduce-range rule uses; with VNNI they use the full range.
/// </summary>
internal static class OrtU8S8
{
    public static bool Saturates => CpuFeatures.Current.U8S8Saturates;

    /// <summary>The weight code range for activations of <paramref name="aType"/> and weights of <paramref name="wType"/>.</summary>
    public static (int Min, int Max) WeightRange(DType aType, DType wType) =>
        aType == DType.UInt8 && wType == DType.Int8 && Saturates ? (-64, 63) : QuantizeLinearTests.QuantRange(wType);

    /// <summary>int8 weights of <paramref name="shape"/> in the range above (uint8 activations).</summary>
    public static Tensor Int8Weights(Random r, params int[] shape)
    {
        var (min, max) = WeightRange(DType.UInt8, DType.Int8);
        return RandomTensors.Ints(r, DType.Int8, min, max, shape);
    }
}
