using LowBit.Data;
using LowBit.Quantization;

namespace LowBit.Cli.Support;

/// <summary>
/// eval/compare: warnings when the data fed to a quantized model differs from what it was calibrated on (its manifest's
/// per-input ranges and data spec): values out of the calibrated range (<see cref="InputRangeCheck"/>), or a different
/// image preset. Models without a manifest (float models, other tools' files) are not checked.
/// </summary>
internal static class DataSanity
{
    /// <summary>The dataset's own warnings (skipped unreadable files, unscaled integer arrays), then the manifest checks.</summary>
    public static IReadOnlyList<string> Check(string modelPath, Dataset data, string input, string spec)
    {
        var warnings = new List<string>(data.Warnings);
        string path = QuantizedModel.ManifestPathFor(modelPath);
        if (!File.Exists(path)) return warnings;
        QuantManifest m;
        try { m = QuantizedModel.ReadManifest(path); }
        catch (LowBitException) { return warnings; }
        if (m.Calibration is not { } cal) return warnings;
        if (PresetOf(cal.DataSpec) is { } calibrated && PresetOf(spec) is { } seen && calibrated != seen)
            warnings.Add($"{spec}: image preset '{seen}' differs from calibration's '{calibrated}' ({cal.DataSpec}); the quantized ranges do not fit this data");
        // Synthesized (zeroq) inputs match the model's BatchNorm statistics, not any data's range: nothing to compare.
        bool synthesized = cal.DataSpec is { } ds && ds.TrimStart().StartsWith("zeroq", StringComparison.OrdinalIgnoreCase);
        if (!synthesized && cal.Inputs?.FirstOrDefault(r => r.Name == input) is { } range && InputRangeCheck.Observe(data, input) is { } observed
            && InputRangeCheck.Compare(range, observed, cal.DataSpec ?? cal.DataKey, data.Name) is { } w)
            warnings.Add(w);
        return warnings;
    }

    /// <summary>The preset of an image-folder spec (its default when not named), null for other data.</summary>
    private static string? PresetOf(string? spec)
    {
        if (spec is null) return null;
        try { return DataSpec.Parse(spec) is ImageFolderSpec s ? s.Options.Preset.ToString() : null; }
        catch (LowBitException) { return null; }
    }
}
