namespace LowBit.Quantization;

/// <summary>How a real range maps onto the grid.</summary>
public enum QuantScheme
{
    /// <summary>Range [−a, a] with a = max(|min|, |max|); zero point at the grid midpoint (0 for signed integers,
    /// 2^(b−1) for unsigned ones). Cheaper integer kernels (no zero-point correction).</summary>
    Symmetric,
    /// <summary>Range [min(min, 0), max(max, 0)] onto [qmin, qmax] with an integer zero point (uses the whole grid for
    /// one-sided data such as post-ReLU activations). Only formats with an <c>IntegerRange</c> have zero points.</summary>
    Asymmetric,
}
