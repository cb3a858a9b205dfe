using LowBit.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Nn.Optim;

/// <summary>Gradient-norm clipping (Pascanu et al. 2013), as PyTorch's <c>clip_grad_norm_</c> with the L2 norm.</summary>
public static class GradientClipping
{
    /// <summary>‖g‖ = √(Σ over all tensors Σ g²), accumulated in double. Non-float32 tensors throw.</summary>
    public static double GlobalNorm(IReadOnlyDictionary<string, Tensor> gradients)
    {
        double sum = 0;
        foreach (var (name, g) in gradients)
        {
            if (g.DType != DType.Float32) throw new LowBitException(ErrorKind.InvalidInput, $"gradient '{name}' is {g.DType.Name()}, expected float32");
            foreach (float x in g.AsReadOnlySpan<float>()) sum += (double)x * x;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// When ‖g‖ &gt; <paramref name="maxNorm"/>, returns copies scaled by c = maxNorm / (‖g‖ + 1e-6); otherwise (and when
    /// ‖g‖ is not finite, which the caller should treat as a failed step) the same tensors. Inputs are never modified:
    /// backward may hand one tensor to several parameters. Returns ‖g‖ before clipping.
    /// </summary>
    public static (double Norm, Dictionary<string, Tensor> Gradients) ClipByGlobalNorm(IReadOnlyDictionary<string, Tensor> gradients, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), "max norm must be positive");
        double norm = GlobalNorm(gradients);
        var result = new Dictionary<string, Tensor>(gradients);
        double c = maxNorm / (norm + 1e-6);
        if (!double.IsFinite(norm) || c >= 1) return (norm, result);
        foreach (var (name, g) in gradients)
        {
            var scaled = Tensor.Empty(DType.Float32, g.Shape);
            TensorPrimitives.Multiply(g.AsReadOnlySpan<float>(), (float)c, scaled.AsSpan<float>());
            result[name] = scaled;
        }
        return (norm, result);
    }
}
