using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Dropout: identity at inference (mask all ones). In training (the session's <see cref="OpContext.Training"/>, or from
/// opset 12 a true training_mode input) each element is kept with probability 1 − ratio and scaled by 1/(1 − ratio):
/// y = x·m/(1 − ratio). The mask comes from <see cref="OpContext.Rng"/> (else a generator seeded by 'seed'), so it does not
/// reproduce other runtimes' masks; it is left in <see cref="OpContext.Saved"/> as (mask, scale) for the backward.
/// </summary>
internal static class DropoutOps
{
    /// <summary>Dropout-1/6/7/10: ratio (and is_test) as attributes; the mask has the input type before opset 10.</summary>
    [Op("Dropout", 1)]
    public static Tensor?[] DropoutV1(OpContext ctx, Tensor data, float ratio = 0.5f) =>
        ctx.Training ? Drop(ctx, data, ratio, null) : new[] { data, ctx.WantsOutput(1) ? Ones(data.Shape, ctx.Opset >= 10 ? DType.Bool : data.DType) : null };

    [Op("Dropout", 12)]
    public static Tensor?[] Dropout(OpContext ctx, Tensor data, Tensor? ratio = null, Tensor? training_mode = null, long? seed = null)
    {
        bool training = ctx.Training || (training_mode is not null && training_mode.Length > 0 && training_mode.GetDouble(0) != 0);
        double p = ratio is null || ratio.Length == 0 ? 0.5 : ratio.GetDouble(0);
        if (!training || p == 0) return new[] { data, ctx.WantsOutput(1) ? Ones(data.Shape, DType.Bool) : null };
        return Drop(ctx, data, p, seed);
    }

    private static Tensor?[] Drop(OpContext ctx, Tensor data, double p, long? seed)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"Dropout: ratio {p} must be in [0, 1)");
        if (!data.DType.IsFloat()) throw new ArgumentException($"Dropout: training mode needs a float input, got {data.DType.Name()}");
        var rng = ctx.Rng ?? (seed is long s ? new Random((int)s) : new Random());
        var y = Tensor.Empty(data.DType, data.Shape);
        var mask = Tensor.Empty(DType.Bool, data.Shape);
        var m = mask.AsSpan<bool>();
        double scale = 1 / (1 - p);
        for (int i = 0; i < data.Length; i++)
        {
            m[i] = rng.NextDouble() >= p;
            y.SetDouble(i, m[i] ? data.GetDouble(i) * scale : 0);
        }
        ctx.Saved = (mask, scale);
        return new[] { y, ctx.WantsOutput(1) ? mask : null };
    }

    private static Tensor Ones(int[] shape, DType dtype)
    {
        var one = Tensor.FromStorage(dtype, Array.CreateInstance(dtype.StorageType(), 1), 1);
        one.SetDouble(0, 1);
        var u = Elements.Unpack(one);
        var y = Tensor.Empty(u.DType, shape);
        Elements.Fill(y, 0, y.Length, u);
        return Elements.Repack(y, dtype);
    }
}
