namespace LowBit.Tests.Onnx;

/// <summary>
/// Node cases of the compute ops (Conv, ConvTranspose, Gemm, MatMul, MaxPool, AveragePool, LpPool, Global*Pool) that
/// are not run. Every backend case of these ops passes, so there are none; an entry needs a precise reason.
/// </summary>
public static partial class NodeTestSkips
{
    private static readonly Dictionary<string, string> Compute = new();
}
