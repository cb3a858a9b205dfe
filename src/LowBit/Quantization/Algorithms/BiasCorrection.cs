using LowBit.Quantization.Algorithms.Layers;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// Bias correction (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias Correction",
/// arXiv:1906.04721, §4.2): quantizing W to W̃ shifts the expected output by E[W̃·x̃ − W·x]; adding the negative to the
/// bias removes the shift. Empirical: the expectations come from the calibration data, with x̃ the input of the quantized
/// model (so the correction also absorbs the mean error its quantized predecessors pass on):
/// b ← b + W·E[x] − W̃·E[x̃]. Analytic: no data; E[x] per input channel from the BatchNormalization that produced the
/// layer's input (<see cref="BatchNormStats"/>): b ← b + (W − W̃)·E[x].
/// </summary>
internal static class BiasCorrection
{
    /// <summary>The corrected bias (length Rows), or null when the layer has no bias and cannot take one.</summary>
    public static float[]? Empirical(LinearLayer layer, float[] w, float[] wq, float[]? bias, LayerData data)
    {
        if (bias is null && !(layer.Node.OpType is "Conv" or "Gemm" && layer.Node.Inputs.Count == 2)) return null;
        var b = bias is null ? new float[layer.Rows] : (float[])bias.Clone();
        int cols = layer.Cols, rpg = layer.RowsPerGroup;
        var floatMean = data.FloatMean ?? throw new InvalidOperationException($"{layer.Key}: input means were not captured");
        var quantMean = data.QuantMean!;
        for (int o = 0; o < layer.Rows; o++)
        {
            var mf = floatMean[o / rpg];
            var mq = quantMean[o / rpg];
            double shift = 0;
            for (int k = 0; k < cols; k++) shift += w[o * cols + k] * mf[k] - wq[o * cols + k] * mq[k];
            b[o] += (float)shift;
        }
        return b;
    }

    /// <summary>The corrected bias from per-input-channel means <paramref name="channelMean"/> (a patch column k of a Conv
    /// reads channel ⌊k / kernel size⌋ of its group; padding is ignored), or null when the layer cannot take a bias.</summary>
    public static float[]? Analytic(LinearLayer layer, float[] w, float[] wq, float[]? bias, double[] channelMean)
    {
        if (bias is null && !(layer.Node.OpType is "Conv" or "Gemm" && layer.Node.Inputs.Count == 2)) return null;
        var b = bias is null ? new float[layer.Rows] : (float[])bias.Clone();
        int cols = layer.Cols, rpg = layer.RowsPerGroup;
        int perGroup = channelMean.Length / layer.Groups, kernel = Math.Max(1, cols / Math.Max(1, perGroup));
        for (int o = 0; o < layer.Rows; o++)
        {
            int c0 = (o / rpg) * perGroup;
            double shift = 0;
            for (int k = 0; k < cols; k++) shift += (w[o * cols + k] - wq[o * cols + k]) * channelMean[c0 + k / kernel];
            b[o] += (float)shift;
        }
        return b;
    }
}
