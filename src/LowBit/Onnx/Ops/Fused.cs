using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Ops that exist only in a session's optimized graph copy (domain <see cref="Domain"/>, made by
/// <c>Graph.Passes.FuseActivations</c>): a Conv/Gemm/MatMul whose output pass also adds a residual and applies
/// Relu/Clip. With packed_weights = 1 the weight input is a constant of the session and its packed form is kept with
/// the node.
/// </summary>
internal static class FusedOps
{
    public const string Domain = "ai.lowbit";

    /// <summary>act(Conv(x, w, b) + sum), sum optional and shaped like the output (broadcast is handled, slower).</summary>
    [Op("FusedConv", 1, Domain)]
    public static Tensor FusedConv(OpContext ctx, Tensor x, Tensor w, Tensor? b = null, Tensor? sum = null, string auto_pad = "NOTSET",
        long[]? dilations = null, long group = 1, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null,
        string activation = "", float clip_min = float.NegativeInfinity, float clip_max = float.PositiveInfinity, long packed_weights = 0) =>
        ConvOps.Run(x, w, b, auto_pad, dilations, group, kernel_shape, pads, strides, Make(ctx, activation, clip_min, clip_max, sum, packed_weights));

    /// <summary>act(alpha·op(A)·op(B) + beta·C) with Gemm's rules.</summary>
    [Op("FusedGemm", 1, Domain)]
    public static Tensor FusedGemm(OpContext ctx, Tensor a, Tensor b, Tensor? c = null, float alpha = 1f, float beta = 1f, long transA = 0, long transB = 0,
        string activation = "", float clip_min = float.NegativeInfinity, float clip_max = float.PositiveInfinity, long packed_weights = 0) =>
        MatMulOps.RunGemm(a, b, c, alpha, beta, transA != 0, transB != 0, Make(ctx, activation, clip_min, clip_max, null, packed_weights));

    /// <summary>act(MatMul(a, b)) with MatMul's rules.</summary>
    [Op("FusedMatMul", 1, Domain)]
    public static Tensor FusedMatMul(OpContext ctx, Tensor a, Tensor b, string activation = "", float clip_min = float.NegativeInfinity,
        float clip_max = float.PositiveInfinity, long packed_weights = 0) =>
        MatMulOps.RunMatMul(a, b, Make(ctx, activation, clip_min, clip_max, null, packed_weights));

    /// <summary>The node (one per session's optimized copy) owns the packed weights.</summary>
    private static Fusion Make(OpContext ctx, string activation, float lo, float hi, Tensor? sum, long packed) => new(
        activation switch
        {
            "" => GemmActivation.None,
            "Relu" => GemmActivation.Relu,
            "Clip" => GemmActivation.Clip,
            _ => throw new ArgumentException($"unknown fused activation '{activation}'"),
        }, lo, hi, sum, packed != 0 ? ctx.Node : null);
}
