using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// LowBit's internal training op for learned rounding (AdaRound, Nagel et al. 2020, arXiv:2004.10568, eq. 22–24), in
/// domain <see cref="Domain"/> (built by the weight algorithms, never exported):
/// <code>
/// s = σ(V),  h = clip(s·(ζ − γ) + γ, 0, 1),  W = Down + h·Delta,  Reg = Σ 1 − |2h − 1|^β
/// dV = (dW·Delta − dReg·2β·|2h − 1|^(β−1)·sign(2h − 1)) · s(1 − s)(ζ − γ)   where 0 ≤ s·(ζ − γ) + γ ≤ 1, else 0
/// </code>
/// Inputs V, Down, Delta: float32 of one shape; Beta: a float scalar. Outputs W (V's shape) and the scalar Reg.
/// One pass forward and one backward instead of the ~12 element-wise nodes of the relaxation and their ~16 backward
/// nodes: on a 512×4608 layer those passes over the weights, not the layer's MatMul, were most of an AdaRound step.
/// The forward keeps the two per-element factors of dV (only when training), so the backward needs no power.
/// </summary>
internal static class SoftRoundingOp
{
    public const string Domain = "com.lowbit";

    [Op("SoftRounding", 1, Domain)]
    public static Tensor?[] SoftRounding(OpContext ctx, Tensor V, Tensor Down, Tensor Delta, Tensor Beta, float zeta = 1.1f, float gamma = -0.1f)
    {
        if (V.DType != DType.Float32 || Down.DType != DType.Float32 || Delta.DType != DType.Float32)
            throw new ArgumentException("SoftRounding: V, Down and Delta must be float32");
        if (!V.Shape.AsSpan().SequenceEqual(Down.Shape) || !V.Shape.AsSpan().SequenceEqual(Delta.Shape))
            throw new ArgumentException($"SoftRounding: V {V.ShapeString}, Down {Down.ShapeString} and Delta {Delta.ShapeString} must have one shape");
        if (Beta.Length != 1) throw new ArgumentException($"SoftRounding: Beta must be a scalar, got {Beta.ShapeString}");
        float beta = (float)Beta.GetDouble(0), stretch = zeta - gamma;
        float[] v = (float[])V.Data, down = (float[])Down.Data, delta = (float[])Delta.Data;
        int n = V.Length;
        var w = Tensor.Empty(DType.Float32, V.Shape);
        float[] wo = (float[])w.Data;
        float[]? dh = ctx.Training ? new float[n] : null, dreg = ctx.Training ? new float[n] : null;
        double reg = 0;
        var gate = new object();
        Elementwise.Split(n, (start, end) =>
        {
            double part = 0;
            for (int i = start; i < end; i++)
            {
                float s = 1f / (1f + MathF.Exp(-v[i])), raw = s * stretch + gamma, h = Math.Clamp(raw, 0f, 1f);
                wo[i] = down[i] + h * delta[i];
                float c = 2 * h - 1, a = MathF.Abs(c), p = MathF.Pow(a, beta - 1);
                part += 1 - p * a;
                if (dh is null || dreg is null) continue;
                dh[i] = raw >= 0 && raw <= 1 ? s * (1 - s) * stretch : 0f;
                dreg[i] = c == 0 ? 0f : -2 * beta * p * MathF.Sign(c);
            }
            lock (gate) reg += part;
        });
        if (dh is not null) ctx.Saved = (dh, dreg);
        return [w, Tensor.FromArray(new[] { (float)reg }, [])];
    }

    [Grad("SoftRounding", 1, Domain)]
    public static Tensor?[] SoftRoundingGrad(GradContext ctx, Tensor V, Tensor Down, Tensor Delta, Tensor Beta)
    {
        if (!ctx.Needs(0)) return [null, null, null, null];
        if (ctx.Saved is not ValueTuple<float[], float[]> saved)
            throw new InvalidOperationException("SoftRounding: the forward ran without training mode, its factors were not kept");
        var (dh, dreg) = saved;
        float[] delta = (float[])Delta.Data;
        float[]? dw = ctx.OutputGrads[0] is { } g0 ? (float[])Elementwise.ToFloat32(g0).Data : null;
        float dr = ctx.OutputGrads[1] is { } g1 ? (float)g1.GetDouble(0) : 0f;
        var dv = Tensor.Empty(DType.Float32, V.Shape);
        float[] d = (float[])dv.Data;
        Elementwise.Split(V.Length, (start, end) =>
        {
            for (int i = start; i < end; i++) d[i] = ((dw is null ? 0f : dw[i] * delta[i]) + dr * dreg[i]) * dh[i];
        });
        return [dv, null, null, null];
    }
}
