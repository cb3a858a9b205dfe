using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of the losses (layout as in <see cref="Losses"/>), for the input/scores only (class ids and weights are
/// data). With g[n,d] the gradient reaching l[n,d] — dY[n,d] for none, dY for sum, dY / Σw[t] for mean — and t the
/// target: NLL dX[n,c,d] = −w[t]·g[n,d] where c = t, else 0 (0 for ignored elements).
/// SoftmaxCrossEntropyLoss adds the log_prob gradient dP (when log_prob reaches the loss) to that, G = dNLL + dP, and
/// goes back through log-softmax along C: dX = G − softmax(X)·Σ_c G.
/// </summary>
internal static class LossesGrad
{
    [Grad("NegativeLogLikelihoodLoss", 12)]
    public static Tensor?[] NegativeLogLikelihoodLoss(GradContext ctx, Tensor input, Tensor target, Tensor? weight = null,
        long? ignore_index = null, string reduction = "mean")
    {
        var g = LogProbGrad(ctx, input, target, weight, ignore_index, reduction);
        return [Elementwise.Cast(Tensor.FromArray(g, input.Shape), input.DType), null, null];
    }

    [Grad("SoftmaxCrossEntropyLoss", 12)]
    public static Tensor?[] SoftmaxCrossEntropyLoss(GradContext ctx, Tensor scores, Tensor labels, Tensor? weights = null,
        long? ignore_index = null, string reduction = "mean")
    {
        var g = LogProbGrad(ctx, scores, labels, weights, ignore_index, reduction);
        if (ctx.OutputGrads.Length > 1 && ctx.OutputGrads[1] is { } dp)
        {
            var d = dp.ToDoubleArray();
            for (int i = 0; i < g.Length; i++) g[i] += d[i];
        }
        int n = scores.Shape[0], c = scores.Shape[1], inner = ShapeArgs.Product(scores.Shape, 2, scores.Rank);
        var x = scores.ToDoubleArray();
        for (int b = 0; b < n; b++)
            for (int k = 0; k < inner; k++)
            {
                int base0 = b * c * inner + k;
                double max = double.NegativeInfinity, sum = 0, gsum = 0;
                for (int j = 0; j < c; j++) max = Math.Max(max, x[base0 + j * inner]);
                for (int j = 0; j < c; j++)
                {
                    sum += Math.Exp(x[base0 + j * inner] - max);
                    gsum += g[base0 + j * inner];
                }
                for (int j = 0; j < c; j++)
                {
                    int at = base0 + j * inner;
                    g[at] -= Math.Exp(x[at] - max) / sum * gsum;
                }
            }
        return [Elementwise.Cast(Tensor.FromArray(g, scores.Shape), scores.DType), null, null];
    }

    /// <summary>dL/dlogp as float64 [N, C, D]: −w[t]·g[n,d] at c = t.</summary>
    private static double[] LogProbGrad(GradContext ctx, Tensor x, Tensor target, Tensor? weight, long? ignore, string reduction)
    {
        int n = x.Shape[0], c = x.Shape[1], d = ShapeArgs.Product(x.Shape, 2, x.Rank);
        var t = ShapeArgs.Longs(target);
        var w = weight?.ToDoubleArray();
        var dy = ctx.OutputGrad(0).ToDoubleArray();
        double scale = 1;
        if (reduction == "mean")
        {
            double wsum = 0;
            foreach (long cls in t) if (cls != ignore) wsum += w is null ? 1 : w[cls];
            scale = 1 / wsum;
        }
        var g = new double[x.Length];
        for (int i = 0; i < n * d; i++)
        {
            long cls = t[i];
            if (cls == ignore) continue;
            double gi = (reduction == "none" ? dy[i] : dy[0]) * scale;
            g[((i / d) * c + (int)cls) * d + i % d] = -(w is null ? 1 : w[cls]) * gi;
        }
        return g;
    }
}
