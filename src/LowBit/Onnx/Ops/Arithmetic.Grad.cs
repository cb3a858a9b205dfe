using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of Add, Sub, Mul, Div with numpy broadcasting: each operand's gradient is the product rule term summed back
/// to its shape (<see cref="GradReduce.SumTo"/>). Y = A + B: dA = dY, dB = dY; A − B: dB = −dY; A·B: dA = dY·B,
/// dB = dY·A; A/B: dA = dY/B, dB = −dY·A/B² = −(dY/B)·Y. Integer tensors have no gradient.
/// </summary>
internal static class ArithmeticGrad
{
    [Grad("Add", 7)] public static Tensor?[] Add(GradContext ctx, Tensor A, Tensor B) => AddSub(ctx, A, B, 1f);
    [Grad("Sub", 7)] public static Tensor?[] Sub(GradContext ctx, Tensor A, Tensor B) => AddSub(ctx, A, B, -1f);
    [Grad("Mul", 7)] public static Tensor?[] Mul(GradContext ctx, Tensor A, Tensor B) => MulGrad(ctx, A, B);
    [Grad("Div", 7)] public static Tensor?[] Div(GradContext ctx, Tensor A, Tensor B) => DivGrad(ctx, A, B);

    /// <summary>Opset 1–6: B is viewed through the legacy broadcast/axis rule, its gradient reshaped back.</summary>
    [Grad("Add", 1)]
    public static Tensor?[] AddLegacy(GradContext ctx, Tensor A, Tensor B, long broadcast = 0, int? axis = null) =>
        Back(B, AddSub(ctx, A, Arithmetic.Legacy(A, B, broadcast, axis), 1f));

    [Grad("Sub", 1)]
    public static Tensor?[] SubLegacy(GradContext ctx, Tensor A, Tensor B, long broadcast = 0, int? axis = null) =>
        Back(B, AddSub(ctx, A, Arithmetic.Legacy(A, B, broadcast, axis), -1f));

    [Grad("Mul", 1)]
    public static Tensor?[] MulLegacy(GradContext ctx, Tensor A, Tensor B, long broadcast = 0, int? axis = null) =>
        Back(B, MulGrad(ctx, A, Arithmetic.Legacy(A, B, broadcast, axis)));

    [Grad("Div", 1)]
    public static Tensor?[] DivLegacy(GradContext ctx, Tensor A, Tensor B, long broadcast = 0, int? axis = null) =>
        Back(B, DivGrad(ctx, A, Arithmetic.Legacy(A, B, broadcast, axis)));

    private static Tensor?[] AddSub(GradContext ctx, Tensor a, Tensor b, float signB)
    {
        if (!a.DType.IsFloat()) return [null, null];
        var dy = ctx.OutputGrad();
        Tensor? da = ctx.Needs(0) ? GradReduce.SumTo(dy, a.Shape, a.DType) : null;
        Tensor? db = null;
        if (ctx.Needs(1))
        {
            db = GradReduce.SumTo(dy, b.Shape, b.DType);
            if (signB < 0) db = GradElementwise.Scale(db, db, -1f);
        }
        return [da, db];
    }

    private static Tensor?[] MulGrad(GradContext ctx, Tensor a, Tensor b)
    {
        if (!a.DType.IsFloat()) return [null, null];
        var dy = ctx.OutputGrad();
        Tensor? da = ctx.Needs(0) ? GradReduce.SumTo(Elementwise.Multiply(dy, b), a.Shape, a.DType) : null;
        Tensor? db = ctx.Needs(1) ? GradReduce.SumTo(Elementwise.Multiply(dy, a), b.Shape, b.DType) : null;
        return [da, db];
    }

    private static Tensor?[] DivGrad(GradContext ctx, Tensor a, Tensor b)
    {
        if (!a.DType.IsFloat()) return [null, null];
        var dy = ctx.OutputGrad();
        if (!ctx.Needs(0) && !ctx.Needs(1)) return [null, null];
        var q = Arithmetic.Div(dy, b);
        Tensor? da = ctx.Needs(0) ? GradReduce.SumTo(q, a.Shape, a.DType) : null;
        Tensor? db = null;
        if (ctx.Needs(1))
        {
            var t = GradReduce.SumTo(Elementwise.Multiply(q, ctx.Outputs[0]!), b.Shape, b.DType);
            db = GradElementwise.Scale(t, t, -1f);
        }
        return [da, db];
    }

    /// <summary>The gradient of a legacy-broadcast B (computed for its view) with B's own shape.</summary>
    private static Tensor?[] Back(Tensor b, Tensor?[] grads)
    {
        if (grads[1] is Tensor g && !g.Shape.SequenceEqual(b.Shape)) grads[1] = g.Reshape(b.Shape);
        return grads;
    }
}
