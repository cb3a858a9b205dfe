using LowBit.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Nn;

/// <summary>A loss value (mean over its rows or elements) and dLoss/dInput, shaped like the input.</summary>
public readonly record struct LossResult(double Value, Tensor Gradient);

/// <summary>
/// Training losses on float32 tensors. Class scores are on the last axis: logits [N, C] or sequence logits [N, T, V]
/// are treated as M = N (or N·T) rows of C scores. Softmax terms use log-sum-exp with the row maximum subtracted, so
/// logits of any magnitude give finite losses. Values are accumulated in double.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Softmax cross-entropy with integer targets (int64 or int32, shape = logits shape without the last axis) and label
    /// smoothing ε (Szegedy et al. 2016, as PyTorch): q = (1 − ε)·onehot(y) + ε/C,
    /// ℓ = −Σ_c q_c log p_c = lse(z) − (1 − ε)·z_y − (ε/C)·Σ_c z_c,  ∂ℓ/∂z = p − q.
    /// The loss is the mean over rows whose target is not <paramref name="ignoreIndex"/>; ignored rows get zero gradient.
    /// </summary>
    public static LossResult CrossEntropy(Tensor logits, Tensor targets, double labelSmoothing = 0, long? ignoreIndex = null)
    {
        var (rows, classes) = Rows(logits, "logits");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), "label smoothing must be in [0, 1)");
        if (!targets.Shape.SequenceEqual(logits.Shape[..^1]) || targets.DType is not (DType.Int64 or DType.Int32))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"targets must be int64 of shape [{string.Join(",", logits.Shape[..^1])}] for logits {logits.ShapeString}, got {targets.DType.Name()} {targets.ShapeString}");
        var z = logits.AsReadOnlySpan<float>();
        var grad = Tensor.Zeros(DType.Float32, logits.Shape);
        var g = grad.AsSpan<float>();
        double total = 0, eps = labelSmoothing, onTarget = 1 - eps, uniform = eps / classes;
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            long y = targets.GetInt64(r);
            if (y == ignoreIndex) continue;
            if (y < 0 || y >= classes)
                throw new LowBitException(ErrorKind.InvalidInput, $"target {y} at row {r} is outside [0, {classes})");
            var zr = z.Slice(r * classes, classes);
            var gr = g.Slice(r * classes, classes);
            double lse = SoftmaxInto(zr, gr);
            total += lse - onTarget * zr[(int)y] - (eps > 0 ? uniform * TensorPrimitives.Sum(zr) : 0);
            if (eps > 0) TensorPrimitives.Subtract(gr, (float)uniform, gr);
            gr[(int)y] -= (float)onTarget;
            counted++;
        }
        if (counted == 0) return new LossResult(0, grad);
        TensorPrimitives.Multiply(g, (float)(1.0 / counted), g);
        return new LossResult(total / counted, grad);
    }

    /// <summary>Mean squared error over all elements: ℓ = (1/n)·Σ (p − t)², ∂ℓ/∂p = 2(p − t)/n.</summary>
    public static LossResult Mse(Tensor prediction, Tensor target)
    {
        if (prediction.DType != DType.Float32 || target.DType != DType.Float32 || !prediction.Shape.SequenceEqual(target.Shape))
            throw new LowBitException(ErrorKind.InvalidInput,
                $"MSE needs two float32 tensors of one shape, got {prediction.DType.Name()} {prediction.ShapeString} and {target.DType.Name()} {target.ShapeString}");
        var p = prediction.AsReadOnlySpan<float>();
        var t = target.AsReadOnlySpan<float>();
        var grad = Tensor.Zeros(DType.Float32, prediction.Shape);
        var g = grad.AsSpan<float>();
        if (p.Length == 0) return new LossResult(0, grad);
        TensorPrimitives.Subtract(p, t, g);
        double sum = 0;
        foreach (float d in g) sum += (double)d * d;
        TensorPrimitives.Multiply(g, 2f / p.Length, g);
        return new LossResult(sum / p.Length, grad);
    }

    /// <summary>
    /// Knowledge-distillation loss (Hinton et al. 2015) with temperature τ: with p_t = softmax(t/τ), p_s = softmax(s/τ),
    /// ℓ = τ²·mean_rows KL(p_t ‖ p_s) = τ²·mean_rows Σ_c p_t,c (log p_t,c − log p_s,c); ∂ℓ/∂s = τ·(p_s − p_t)/M.
    /// The τ² factor keeps gradient magnitudes comparable across temperatures. Returns the gradient for the student only.
    /// </summary>
    public static LossResult Distillation(Tensor studentLogits, Tensor teacherLogits, double temperature = 1)
    {
        var (rows, classes) = Rows(studentLogits, "student logits");
        if (!studentLogits.Shape.SequenceEqual(teacherLogits.Shape) || teacherLogits.DType != DType.Float32)
            throw new LowBitException(ErrorKind.InvalidInput, $"teacher logits {teacherLogits.ShapeString} do not match student logits {studentLogits.ShapeString}");
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be positive");
        var s = studentLogits.AsReadOnlySpan<float>();
        var t = teacherLogits.AsReadOnlySpan<float>();
        var grad = Tensor.Zeros(DType.Float32, studentLogits.Shape);
        var g = grad.AsSpan<float>();
        var ss = new float[classes];
        var ts = new float[classes];
        var pt = new float[classes];
        float inv = (float)(1 / temperature);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Multiply(s.Slice(r * classes, classes), inv, ss);
            TensorPrimitives.Multiply(t.Slice(r * classes, classes), inv, ts);
            var gr = g.Slice(r * classes, classes);
            double lseS = SoftmaxInto(ss, gr), lseT = SoftmaxInto(ts, pt);
            // log p_t − log p_s = (t/τ − lseT) − (s/τ − lseS)
            double kl = 0;
            for (int c = 0; c < classes; c++)
                if (pt[c] > 0) kl += pt[c] * ((ts[c] - lseT) - (ss[c] - lseS));
            total += kl;
            TensorPrimitives.Subtract(gr, pt, gr);
        }
        if (rows == 0) return new LossResult(0, grad);
        TensorPrimitives.Multiply(g, (float)(temperature / rows), g);
        return new LossResult(temperature * temperature * total / rows, grad);
    }

    /// <summary>p = softmax(z) into <paramref name="p"/>; returns lse(z) = m + log Σ exp(z − m), m = max z.</summary>
    internal static double SoftmaxInto(ReadOnlySpan<float> z, Span<float> p)
    {
        float m = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, m, p);
        TensorPrimitives.Exp(p, p);
        double sum = 0;
        foreach (float e in p) sum += e;
        TensorPrimitives.Multiply(p, (float)(1 / sum), p);
        return m + Math.Log(sum);
    }

    /// <summary>Rows M and classes C of float32 scores with classes on the last axis.</summary>
    internal static (int Rows, int Classes) Rows(Tensor logits, string what)
    {
        if (logits.DType != DType.Float32 || logits.Rank < 2 || logits.Shape[^1] < 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"{what} must be float32 of rank ≥ 2 with classes on the last axis, got {logits.DType.Name()} {logits.ShapeString}");
        int classes = logits.Shape[^1];
        return (logits.Length / classes, classes);
    }
}
