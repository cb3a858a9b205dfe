using System.Runtime.Intrinsics;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Pow with broadcasting: Z = X^Y, dX = dZ·Y·X^(Y−1), dY = dZ·Z·ln X (computed in double per
/// element, then summed back to each operand's shape). The exponent's gradient is NaN where X ≤ 0, as in PyTorch.
/// A float32 base of the output's shape with one scalar exponent (AdaRound's regularizer |2h − 1|^β) takes a vectorized
/// path: X^(Y−1) = Z/X from the forward's Z, with Math.Pow only where X = 0 or Z is zero, subnormal (too few bits
/// left) or not finite.</summary>
internal static class PowModGrad
{
    [Grad("Pow", 7)]
    public static Tensor?[] Pow(GradContext ctx, Tensor X, Tensor Y)
    {
        if (!X.DType.IsFloat()) return [null, null];
        var z = ctx.Outputs[0]!;
        var dz = ctx.OutputGrad();
        var shape = z.Shape;
        var xm = Broadcast.SourceIndex(X.Shape, shape);
        var ym = Broadcast.SourceIndex(Y.Shape, shape);
        Tensor? dx = null, dy = null;
        if (ctx.Needs(0) && X.DType == DType.Float32 && Y.Length == 1 && X.Shape.AsSpan().SequenceEqual(shape))
            dx = ScalarExponent(X, z, dz, (float)Y.GetDouble(0));
        else if (ctx.Needs(0))
        {
            var full = Tensor.Empty(DType.Float32, shape);
            for (int i = 0; i < full.Length; i++)
            {
                double x = X.GetDouble(xm[i]), y = Y.GetDouble(ym[i]);
                full.SetDouble(i, dz.GetDouble(i) * y * Math.Pow(x, y - 1));
            }
            dx = GradReduce.SumTo(full, X.Shape, X.DType);
        }
        if (ctx.Needs(1) && Y.DType.IsFloat())
        {
            var full = Tensor.Empty(DType.Float32, shape);
            for (int i = 0; i < full.Length; i++) full.SetDouble(i, dz.GetDouble(i) * z.GetDouble(i) * Math.Log(X.GetDouble(xm[i])));
            dy = GradReduce.SumTo(full, Y.Shape, Y.DType);
        }
        return [dx, dy];
    }

    private const float SmallestNormal = 1.17549435e-38f;

    /// <summary>dX = dZ·y·Z/X, exact up to float rounding wherever X ≠ 0 and Z is a finite normal number; the rest in double.</summary>
    private static Tensor ScalarExponent(Tensor x, Tensor z, Tensor dz, float y)
    {
        var dx = GradElementwise.Map(x, x, z, dz, new ScalarExponentGrad(y));
        var xs = x.AsReadOnlySpan<float>();
        var zs = Elementwise.ToFloat32(z).AsReadOnlySpan<float>();
        var ds = Elementwise.ToFloat32(dz).AsReadOnlySpan<float>();
        var r = dx.AsSpan<float>();
        for (int i = 0; i < r.Length; i++)
            if (xs[i] == 0 || !(MathF.Abs(zs[i]) is >= SmallestNormal and <= float.MaxValue))
                r[i] = (float)(ds[i] * (double)y * Math.Pow(xs[i], (double)y - 1));
        return dx;
    }

    private readonly struct ScalarExponentGrad(float y) : IGradOp
    {
        public float Apply(float x, float z, float dz) => dz * y * (z / x);
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> z, Vector256<float> dz) => dz * Vector256.Create(y) * (z / x);
    }

    [Grad("Pow", 1)]
    public static Tensor?[] PowLegacy(GradContext ctx, Tensor X, Tensor Y, long broadcast = 0, int? axis = null)
    {
        var grads = Pow(ctx, X, Arithmetic.Legacy(X, Y, broadcast, axis));
        if (grads[1] is Tensor g && !g.Shape.SequenceEqual(Y.Shape)) grads[1] = g.Reshape(Y.Shape);
        return grads;
    }
}
