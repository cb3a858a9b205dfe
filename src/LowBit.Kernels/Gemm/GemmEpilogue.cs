namespace LowBit.Kernels.Gemm;

/// <summary>Activation applied to every element of C after the product and the additions.</summary>
public enum GemmActivation
{
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, <see cref="GemmEpilogue.ClipMin"/>), <see cref="GemmEpilogue.ClipMax"/>).</summary>
    Clip,
}

/// <summary>
/// Work folded into the single pass that writes C (so Conv+Bias+Add+Relu touches C once):
/// <c>C[i,j] = act(((alpha·Σ_k A[i,k]·B[k,j] + beta·C[i,j]) + RowBias[i] + ColBias[j]) + Residual[i·ldc + j])</c>,
/// additions in that order (a fused graph then rounds exactly like the unfused one). Empty spans are omitted terms.
/// </summary>
public ref struct GemmEpilogue
{
    /// <summary>One value per row of C (a convolution's bias per output channel); empty or length ≥ M.</summary>
    public ReadOnlySpan<float> RowBias;
    /// <summary>One value per column of C (a Gemm bias vector); empty or length ≥ N.</summary>
    public ReadOnlySpan<float> ColBias;
    /// <summary>Laid out like C (same ldc): a residual branch added before the activation.</summary>
    public ReadOnlySpan<float> Residual;
    public GemmActivation Activation;
    public float ClipMin;
    public float ClipMax;

    private static float Clamp(float x, float lo, float hi)
    {
        x = x < lo ? lo : x;
        return x > hi ? hi : x;
    }

    /// <summary>(lo, hi) bounds of the activation; (−∞, +∞) for none.</summary>
    public readonly (float Lo, float Hi) Bounds => Activation switch
    {
        GemmActivation.Relu => (0f, float.PositiveInfinity),
        GemmActivation.Clip => (ClipMin, ClipMax),
        _ => (float.NegativeInfinity, float.PositiveInfinity),
    };

    /// <summary>Applies the bias, residual and activation terms to a finished dot-product value.</summary>
    public readonly float Apply(float x, int i, int j, int ldc)
    {
        if (!RowBias.IsEmpty) x += RowBias[i];
        if (!ColBias.IsEmpty) x += ColBias[j];
        if (!Residual.IsEmpty) x += Residual[i * ldc + j];
        // NaN passes through, as in the SIMD paths (vmaxps(lo, x) returns x when x is NaN).
        return Activation switch
        {
            GemmActivation.Relu => x < 0 ? 0f : x,
            GemmActivation.Clip => Clamp(x, ClipMin, ClipMax),
            _ => x,
        };
    }
}
