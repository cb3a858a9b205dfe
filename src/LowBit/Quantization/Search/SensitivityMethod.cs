namespace LowBit.Quantization.Search;

/// <summary>
/// How a layer's sensitivity to a format is scored (larger = more sensitive), issue 11 part 1:
/// <list type="bullet">
/// <item><see cref="Sqnr"/>: output noise power relative to the output's, 10^(−SQNR/10), with only that layer quantized.</item>
/// <item><see cref="Kl"/>: mean KL(softmax(float) ‖ softmax(quantized)) of a classifier's outputs, same runs.</item>
/// <item><see cref="Loss"/>: the task loss (cross-entropy against labels) increase, same runs.</item>
/// <item><see cref="Fisher"/>: ½ Σ F_ii δ_i² over the layer's weight error δ, F the Fisher information diagonal.</item>
/// <item><see cref="Hessian"/>: ½ · Tr(H)/n · ‖δ‖², Tr(H) of the layer's weight block by Hutchinson's estimator (HAWQ-V2).</item>
/// <item><see cref="Lrp"/>: R_l · the sqnr score, R_l the layer's share of the predicted logit's relevance (LRP-QViT,
/// <see cref="LayerRelevance"/>).</item>
/// </list>
/// The first three and lrp include the layer's input-activation quantization; fisher and hessian see only the weight error.
/// </summary>
public enum SensitivityMethod { Sqnr, Kl, Loss, Fisher, Hessian, Lrp }

public static class SensitivityMethods
{
    public static IReadOnlyList<string> Names { get; } = ["sqnr", "kl", "loss", "fisher", "hessian", "lrp"];

    public static string Name(SensitivityMethod m) => Names[(int)m];

    public static SensitivityMethod Parse(string name) =>
        Names.ToList().IndexOf(name.Trim().ToLowerInvariant()) is var i and >= 0 ? (SensitivityMethod)i
            : throw new LowBitException(ErrorKind.Usage, $"unknown sensitivity method '{name}'; known: {string.Join(", ", Names)}");

    /// <summary>What search and <c>--max-drop</c> rank by unless told: KL for classifiers, else output SQNR.</summary>
    public static SensitivityMethod Default(SensitivityTable t) => t.Classifier ? SensitivityMethod.Kl : SensitivityMethod.Sqnr;

    /// <summary>The second-order weight methods (Fisher diagonal, Hessian trace): expansions around the float weights that
    /// see only the weight error, for ranking in <c>sensitivity</c>; <c>search</c> sums the output-based scores (sqnr, kl,
    /// loss, and lrp, which reweights the output noise).</summary>
    public static bool IsGradient(SensitivityMethod m) => m is SensitivityMethod.Fisher or SensitivityMethod.Hessian;
}
