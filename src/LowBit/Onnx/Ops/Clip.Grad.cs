using System.Runtime.Intrinsics;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of Clip (ReLU6 is Clip(x, 0, 6)): dX = dY where lo ≤ x ≤ hi (inclusive at the bounds, as PyTorch's clamp),
/// else 0. The bounds, when they are inputs that need a gradient, collect the dY of the elements they replaced:
/// dlo = Σ dY[x &lt; lo], dhi = Σ dY[x &gt; hi] (when lo &gt; hi every element is hi).
/// </summary>
internal static class ClipGrad
{
    [Grad("Clip", 11)]
    public static Tensor?[] Clip(GradContext ctx, Tensor input, Tensor? min = null, Tensor? max = null)
    {
        if (!input.DType.IsFloat()) return [null, null, null];
        float lo = min is null ? float.NegativeInfinity : (float)min.GetDouble(0);
        float hi = max is null ? float.PositiveInfinity : (float)max.GetDouble(0);
        var dy = ctx.OutputGrad();
        var dx = ctx.Needs(0) ? GradElementwise.Map(input, input, null, dy, new ClipMask(lo, hi)) : null;
        Tensor? dlo = null, dhi = null;
        if ((min is not null && ctx.Needs(1)) || (max is not null && ctx.Needs(2)))
        {
            var x = Elementwise.ToFloat32(input).AsReadOnlySpan<float>();
            var g = Elementwise.ToFloat32(dy).AsReadOnlySpan<float>();
            double below = 0, above = 0;
            for (int i = 0; i < x.Length; i++)
            {
                if (lo > hi || x[i] > hi) above += g[i];
                else if (x[i] < lo) below += g[i];
            }
            if (min is not null && ctx.Needs(1)) dlo = Scalar(min, below);
            if (max is not null && ctx.Needs(2)) dhi = Scalar(max, above);
        }
        return [dx, dlo, dhi];
    }

    [Grad("Clip", 1)]
    public static Tensor?[] ClipLegacy(GradContext ctx, Tensor input, float min = float.NegativeInfinity, float max = float.PositiveInfinity) =>
        [input.DType.IsFloat() ? GradElementwise.Map(input, input, null, ctx.OutputGrad(), new ClipMask(min, max)) : null];

    private static Tensor Scalar(Tensor like, double v)
    {
        var t = Tensor.Empty(like.DType, like.Shape);
        t.SetDouble(0, v);
        return t;
    }

    private readonly struct ClipMask(float lo, float hi) : IGradOp
    {
        public float Apply(float x, float y, float dy) => x >= lo && x <= hi ? dy : 0f;

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy)
        {
            var inside = Vector256.GreaterThanOrEqual(x, Vector256.Create(lo)) & Vector256.LessThanOrEqual(x, Vector256.Create(hi));
            return dy & inside;
        }
    }
}
