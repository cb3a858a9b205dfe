namespace LowBit.Quantization;

/// <summary>Text names of the config enums (CLI flags, recipe JSON, manifest): parsing is case-insensitive and an unknown
/// name is a usage error listing the known ones.</summary>
public static class ConfigNames
{
    public static IReadOnlyList<string> Schemes { get; } = ["symmetric", "asymmetric"];
    public static IReadOnlyList<string> Modes { get; } = ["static", "weight-only", "dynamic"];
    public static IReadOnlyList<string> WeightRanges { get; } = ["minmax", "mse", "absmean", "absmedian"];
    public static IReadOnlyList<string> ScaleFormats { get; } = ["float32", "e8m0", "int8"];
    public static IReadOnlyList<string> WeightOnlyKernels { get; } = ["auto", "dequantize-linear", "matmulnbits"];
    public static IReadOnlyList<string> Algorithms { get; } = ["nearest", "adaround", "adaquant", "brecq", "gptq"];
    public static IReadOnlyList<string> BiasCorrections { get; } = ["none", "empirical", "analytic"];

    public static WeightAlgorithm ParseAlgorithm(string s) => Norm(s) switch
    {
        "nearest" or "rtn" => WeightAlgorithm.Nearest,
        "adaround" => WeightAlgorithm.AdaRound,
        "adaquant" => WeightAlgorithm.AdaQuant,
        "brecq" => WeightAlgorithm.Brecq,
        "gptq" => WeightAlgorithm.Gptq,
        _ => throw Unknown("algorithm", s, Algorithms),
    };

    public static BiasCorrectionKind ParseBiasCorrection(string s) => Norm(s) switch
    {
        "none" or "off" => BiasCorrectionKind.None,
        "empirical" or "data" => BiasCorrectionKind.Empirical,
        "analytic" or "bn" => BiasCorrectionKind.Analytic,
        _ => throw Unknown("bias correction", s, BiasCorrections),
    };

    public static string Name(WeightAlgorithm a) => Algorithms[(int)a];
    public static string Name(BiasCorrectionKind b) => BiasCorrections[(int)b];

    public static QuantScheme ParseScheme(string s) => Norm(s) switch
    {
        "symmetric" or "sym" => QuantScheme.Symmetric,
        "asymmetric" or "asym" => QuantScheme.Asymmetric,
        _ => throw Unknown("scheme", s, Schemes),
    };

    public static QuantMode ParseMode(string s) => Norm(s) switch
    {
        "static" => QuantMode.Static,
        "weight-only" or "weightonly" or "weights" => QuantMode.WeightOnly,
        "dynamic" => QuantMode.Dynamic,
        _ => throw Unknown("mode", s, Modes),
    };

    public static WeightRange ParseWeightRange(string s) => Norm(s) switch
    {
        "minmax" or "min-max" => WeightRange.MinMax,
        "mse" => WeightRange.Mse,
        "absmean" => WeightRange.AbsMean,
        "absmedian" => WeightRange.AbsMedian,
        _ => throw Unknown("weight range method", s, WeightRanges),
    };

    public static ScaleFormat ParseScaleFormat(string s) => Norm(s) switch
    {
        "float32" or "fp32" or "float" => ScaleFormat.Float32,
        "e8m0" or "mx" => ScaleFormat.E8M0,
        "int8" or "uint8" or "double" => ScaleFormat.Int8,
        _ => throw Unknown("scale format", s, ScaleFormats),
    };

    public static WeightOnlyKernel ParseWeightOnlyKernel(string s) => Norm(s) switch
    {
        "auto" => WeightOnlyKernel.Auto,
        "dequantize-linear" or "dequantizelinear" or "dq" => WeightOnlyKernel.DequantizeLinear,
        "matmulnbits" => WeightOnlyKernel.MatMulNBits,
        _ => throw Unknown("weight-only kernel", s, WeightOnlyKernels),
    };

    public static string Name(QuantScheme s) => s == QuantScheme.Symmetric ? "symmetric" : "asymmetric";
    public static string Name(QuantMode m) => QuantizerConfig.ModeName(m);
    public static string Name(WeightRange r) => WeightRanges[(int)r];
    public static string Name(ScaleFormat f) => ScaleFormats[(int)f];
    public static string Name(WeightOnlyKernel k) => k switch
    {
        WeightOnlyKernel.DequantizeLinear => "dequantize-linear",
        WeightOnlyKernel.MatMulNBits => "matmulnbits",
        _ => "auto",
    };

    private static string Norm(string s) => s.Trim().ToLowerInvariant();

    private static LowBitException Unknown(string what, string s, IReadOnlyList<string> known) =>
        new(ErrorKind.Usage, $"unknown {what} '{s}'; known: {string.Join(", ", known)}");
}
