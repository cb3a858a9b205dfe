using System.Text.Json;
using LowBit.Formats;
using LowBit.Quantization.Observers;

namespace LowBit.Quantization;

/// <summary>Manifest ⇄ JSON (camelCase, indented, nulls omitted, floats in shortest round-trip form) and config ⇄
/// <see cref="ConfigInfo"/>.</summary>
internal static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // A file for people and tools, not HTML: keep "·", "'" and "+" readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(QuantManifest m) => JsonSerializer.Serialize(m, Options);

    public static QuantManifest Read(string json, string source)
    {
        QuantManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<QuantManifest>(json, Options);
        }
        catch (JsonException e)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: not a LowBit manifest ({e.Message.Split(" Path:")[0]})");
        }
        if (m is null || m.Format != QuantManifest.CurrentFormat)
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: not a LowBit manifest of format {QuantManifest.CurrentFormat} (format '{m?.Format}')");
        return m;
    }

    public static ConfigInfo Describe(QuantizerConfig c, bool reduceRange) => new(
        ConfigNames.Name(c.Mode),
        new WeightsInfo(c.Weights.Format.Name, c.Weights.Granularity.ToString(), ConfigNames.Name(c.Weights.Scheme), ConfigNames.Name(c.Weights.Range))
            { ScaleFormat = ConfigNames.Name(c.Weights.ScaleFormat) },
        c.Activations is { } a ? new ActivationsInfo(a.Format.Name, ConfigNames.Name(a.Scheme), a.Observer.ToString()) : null,
        reduceRange, c.ExcludeNodes, c.ExcludeOpTypes, c.Recipe?.ToJson(), c.ExportOpset, ConfigNames.Name(c.WeightOnlyKernel),
        c.MatMulNBitsAccuracyLevel, c.QuantizeGraphOutputs, c.QuantizeOpTypes, c.CrossLayerEqualization)
        { SmoothQuantAlpha = c.SmoothQuantAlpha, RepQuant = c.RepQuant, Rotation = c.Rotation.ToString().ToLowerInvariant(), Algorithm = AlgorithmInfo.From(c.Algorithm),
            PackWeights = c.PackWeights };

    /// <summary>The config a manifest describes, with reduce-range fixed to the decision it records.</summary>
    public static QuantizerConfig ToConfig(ConfigInfo i) => new(
        ConfigNames.ParseMode(i.Mode),
        new WeightQuantConfig(FormatTable.Get(i.Weights.Format), WeightGranularity.Parse(i.Weights.Granularity),
            ConfigNames.ParseScheme(i.Weights.Scheme), ConfigNames.ParseWeightRange(i.Weights.Range),
            ConfigNames.ParseScaleFormat(i.Weights.ScaleFormat ?? "float32")),
        i.Activations is { } a && ConfigNames.ParseMode(i.Mode) != QuantMode.WeightOnly
            ? new ActivationQuantConfig(FormatTable.Get(a.Format), ConfigNames.ParseScheme(a.Scheme), ObserverConfig.Parse(a.Observer)) : null,
        reduceRange: i.ReduceRange ? true : null,
        excludeNodes: i.ExcludeNodes, excludeOpTypes: i.ExcludeOpTypes,
        recipe: i.Recipe is null ? null : QuantRecipe.Parse(i.Recipe, "manifest recipe"),
        exportOpset: i.ExportOpset, weightOnlyKernel: ConfigNames.ParseWeightOnlyKernel(i.WeightOnlyKernel),
        matMulNBitsAccuracyLevel: i.MatMulNBitsAccuracyLevel, quantizeGraphOutputs: i.QuantizeGraphOutputs, quantizeOpTypes: i.QuantizeOpTypes,
        targetCpu: NoSaturation, crossLayerEqualization: i.CrossLayerEqualization,
        smoothQuantAlpha: i.SmoothQuantAlpha, repQuant: i.RepQuant, rotation: Enum.Parse<Algorithms.RotationKind>(i.Rotation, ignoreCase: true))
        { PackWeights = i.PackWeights };

    /// <summary>A CPU on which the defaults narrow nothing: with reduce-range recorded as true the config forces it, and
    /// recorded false must stay false whatever CPU reloads the manifest.</summary>
    private static readonly Kernels.CpuFeatures NoSaturation = new("x64", true, false, true, false, false, false);
}
