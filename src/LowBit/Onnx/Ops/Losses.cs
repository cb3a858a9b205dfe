using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Training losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. Layout: input/scores [N, C, d1..dk] seen as
/// [N, C, D] with D = d1·…·dk; target/labels [N, d1..dk] seen as [N, D] holding class ids. Per element
/// <c>l[n,d] = −w[t]·logp[n, t, d]</c> with <c>t = target[n,d]</c> (w ≡ 1 without weights); an element whose target
/// equals <c>ignore_index</c> contributes l = 0 and weight 0. Reductions: none → l (shape of target), sum → Σl,
/// mean → Σl / Σw[t] over the elements not ignored (0/0 = NaN when every element is ignored, as numpy and ORT give).
/// Arithmetic is float64, rounded once to the input type.
/// </summary>
internal static class Losses
{
    [Op("NegativeLogLikelihoodLoss", 12)]
    public static Tensor NegativeLogLikelihoodLoss(Tensor input, Tensor target, Tensor? weight = null, long? ignore_index = null,
        string reduction = "mean")
    {
        var (n, c, d) = Layout(input, target, weight, "input", "target");
        var logp = input.ToDoubleArray();
        var loss = Nll(logp, n, c, d, target, weight, ignore_index, reduction);
        return Result(loss, reduction, target.Shape, input.DType);
    }

    /// <summary>Outputs: loss and (optional) log_prob = LogSoftmax(scores, axis 1), computed with the row maximum
    /// subtracted first so exp never overflows: <c>logp[c] = (x[c] − m) − log Σ exp(x[j] − m)</c>.</summary>
    [Op("SoftmaxCrossEntropyLoss", 12)]
    public static Tensor?[] SoftmaxCrossEntropyLoss(OpContext ctx, Tensor scores, Tensor labels, Tensor? weights = null,
        long? ignore_index = null, string reduction = "mean")
    {
        var (n, c, d) = Layout(scores, labels, weights, "scores", "labels");
        var logp = scores.ToDoubleArray();
        for (int b = 0; b < n; b++)
            for (int k = 0; k < d; k++)
            {
                int base0 = b * c * d + k;
                double max = double.NegativeInfinity;
                for (int j = 0; j < c; j++) max = Math.Max(max, logp[base0 + j * d]);
                double sum = 0;
                for (int j = 0; j < c; j++) sum += Math.Exp(logp[base0 + j * d] - max);
                double log = Math.Log(sum);
                for (int j = 0; j < c; j++) logp[base0 + j * d] = logp[base0 + j * d] - max - log;
            }
        var loss = Nll(logp, n, c, d, labels, weights, ignore_index, reduction);
        var logProb = ctx.WantsOutput(1) ? Elementwise.Cast(Tensor.FromArray(logp, scores.Shape), scores.DType) : null;
        return [Result(loss, reduction, labels.Shape, scores.DType), logProb];
    }

    private static (int N, int C, int D) Layout(Tensor x, Tensor target, Tensor? weight, string xName, string tName)
    {
        if (!x.DType.IsFloat()) throw new ArgumentException($"{xName} must be a float tensor, got {x.DType.Name()}");
        if (x.Rank < 2) throw new ArgumentException($"{xName} must have shape [N, C, d1..dk], got {x.ShapeString}");
        bool shapeOk = target.Rank == x.Rank - 1 && target.Shape[0] == x.Shape[0];
        for (int i = 1; shapeOk && i < target.Rank; i++) shapeOk = target.Shape[i] == x.Shape[i + 1];
        if (!shapeOk)
            throw new ArgumentException($"{tName} shape {target.ShapeString} does not match {xName} {x.ShapeString} (expected [N, d1..dk])");
        int c = x.Shape[1];
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != c))
            throw new ArgumentException($"weights must have shape [{c}] (one per class), got {weight.ShapeString}");
        return (x.Shape[0], c, ShapeArgs.Product(x.Shape, 2, x.Rank));
    }

    /// <summary>Per-element losses [N·D], and for mean the weight sum as the last entry (so one array carries both).</summary>
    private static double[] Nll(double[] logp, int n, int c, int d, Tensor target, Tensor? weight, long? ignore, string reduction)
    {
        if (reduction is not ("none" or "sum" or "mean"))
            throw new LowBitException(ErrorKind.InvalidModel, $"reduction '{reduction}' is not one of none, sum, mean");
        var t = ShapeArgs.Longs(target);
        var w = weight?.ToDoubleArray();
        var loss = new double[n * d + 1];
        double wsum = 0;
        for (int b = 0; b < n; b++)
            for (int k = 0; k < d; k++)
            {
                long cls = t[b * d + k];
                if (cls == ignore) continue;
                if (cls < 0 || cls >= c)
                    throw new LowBitException(ErrorKind.InvalidInput, $"target class {cls} at position {b * d + k} is outside [0, {c})");
                double wc = w is null ? 1 : w[cls];
                loss[b * d + k] = -wc * logp[(b * c + (int)cls) * d + k];
                wsum += wc;
            }
        loss[n * d] = wsum;
        return loss;
    }

    private static Tensor Result(double[] loss, string reduction, int[] targetShape, DType dtype)
    {
        int m = loss.Length - 1;
        Tensor r;
        if (reduction == "none") r = Tensor.FromArray(loss.AsSpan(0, m).ToArray(), targetShape);
        else
        {
            double sum = 0;
            for (int i = 0; i < m; i++) sum += loss[i];
            r = Tensor.Scalar(reduction == "sum" ? sum : sum / loss[m]);
        }
        return Elementwise.Cast(r, dtype);
    }
}
