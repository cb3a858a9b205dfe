using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// MelWeightMatrix (opset 17): a [⌊dft_length/2⌋+1, num_mel_bins] matrix of triangular filters that maps a one-sided
/// magnitude spectrum to mel bands (spectrogram · matrix). mel(f) = 2595·log₁₀(1 + f/700). The spec places
/// num_mel_bins + 2 edge frequencies evenly in mel from mel(lower) in steps of (mel(upper) − mel(lower))/(num_mel_bins + 2)
/// (so the last edge lies one step below mel(upper), as the ONNX reference does), and snaps each to the spectrogram bin
/// e = ⌊(dft_length + 1)·f/sample_rate⌋. Filter i rises linearly over bins [eᵢ, eᵢ₊₁] and falls over [eᵢ₊₁, eᵢ₊₂);
/// when eᵢ = eᵢ₊₁ its centre bin is 1.
/// </summary>
internal static class MelWeightMatrixOps
{
    [Op("MelWeightMatrix", 17)]
    public static Tensor MelWeightMatrix(Tensor num_mel_bins, Tensor dft_length, Tensor sample_rate, Tensor lower_edge_hertz,
        Tensor upper_edge_hertz, long output_datatype = 1)
    {
        long mels = FloatBuffers.ScalarInt(num_mel_bins, "MelWeightMatrix: num_mel_bins");
        long dft = FloatBuffers.ScalarInt(dft_length, "MelWeightMatrix: dft_length");
        long rate = FloatBuffers.ScalarInt(sample_rate, "MelWeightMatrix: sample_rate");
        double lo = FloatBuffers.ScalarFloat(lower_edge_hertz, "MelWeightMatrix: lower_edge_hertz");
        double hi = FloatBuffers.ScalarFloat(upper_edge_hertz, "MelWeightMatrix: upper_edge_hertz");
        if (mels < 1) throw new ArgumentException($"MelWeightMatrix: num_mel_bins {mels} must be ≥ 1");
        if (dft < 1) throw new ArgumentException($"MelWeightMatrix: dft_length {dft} must be ≥ 1");
        if (rate < 1) throw new ArgumentException($"MelWeightMatrix: sample_rate {rate} must be ≥ 1");
        if (!(lo >= 0 && lo < hi)) throw new ArgumentException($"MelWeightMatrix: need 0 ≤ lower_edge_hertz < upper_edge_hertz, got {lo} and {hi}");
        var dtype = FloatBuffers.OutputType(output_datatype, "MelWeightMatrix");
        var shape = ShapeArgs.Dims([dft / 2 + 1, mels], "MelWeightMatrix");
        int specBins = shape[0], m = shape[1];

        double melLo = Mel(lo), step = (Mel(hi) - melLo) / (m + 2);
        var edge = new long[m + 2];
        for (int i = 0; i < edge.Length; i++)
        {
            double f = 700 * (Math.Pow(10, (melLo + i * step) / 2595) - 1);
            edge[i] = (long)Math.Floor((dft + 1) * f / rate);
        }
        // Centres index rows; a falling edge is exclusive, so it may equal the row count.
        if (edge[m] >= specBins || edge[m + 1] > specBins)
            throw new ArgumentException($"MelWeightMatrix: upper_edge_hertz {hi} lies above the {specBins} bins of a {dft}-point spectrum at {rate} Hz");

        var w = new double[specBins * m];
        for (int i = 0; i < m; i++)
        {
            long left = edge[i], centre = edge[i + 1], right = edge[i + 2];
            if (centre == left) w[centre * m + i] = 1;
            else
                for (long j = left; j <= centre; j++) w[j * m + i] = (double)(j - left) / (centre - left);
            for (long j = centre; j < right; j++) w[j * m + i] = (double)(right - j) / (right - centre);
        }
        return FloatBuffers.Write(w, dtype, shape);
    }

    private static double Mel(double hz) => 2595 * Math.Log10(1 + hz / 700);
}
