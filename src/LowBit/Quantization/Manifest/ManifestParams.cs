using LowBit.Formats;
using LowBit.Quantization.Qdq;

namespace LowBit.Quantization;

/// <summary>Parameters taken back from a manifest, and the check that a rebuild reproduced every tensor's parameters.</summary>
internal static class ManifestParams
{
    public static QdqParams.Stored From(QuantManifest m)
    {
        var d = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var t in m.Tensors)
        {
            if (t.Kind == "bias" || t.Scales is null || t.ZeroPoints is null) continue;
            Granularity g = t.BlockSize is int b ? new PerGroup(t.Axis!.Value, b)
                : t.Axis is int a ? new PerChannel(a) : PerTensor.Instance;
            var format = FormatTable.Get(t.Format);
            if (format is CodebookFormat codebook)
            {
                if (t.Codebook is null) continue;  // recomputed from the weight (deterministic), checked against the hash
                format = codebook.WithLevels(t.Codebook);
            }
            d[t.Name] = new QuantParams(format, g, t.Scales, t.ZeroPoints, t.ScaleShape);
        }
        return new QdqParams.Stored(d);
    }

    public static void Verify(QuantManifest expected, QuantManifest rebuilt, string source)
    {
        var got = rebuilt.Tensors.ToDictionary(t => (t.Kind, t.Name), t => t);
        foreach (var t in expected.Tensors)
        {
            if (!got.TryGetValue((t.Kind, t.Name), out var r))
                throw new LowBitException(ErrorKind.InvalidInput, $"{source}: {t.Kind} '{t.Name}' is not quantized when the manifest is re-applied (was the model or LowBit changed?)");
            if (r.ParamsSha256 != t.ParamsSha256)
                throw new LowBitException(ErrorKind.InvalidInput, $"{source}: {t.Kind} '{t.Name}' gets different scales when re-applied (hash {r.ParamsSha256[..12]}…, manifest {t.ParamsSha256[..12]}…)");
        }
        if (got.Count != expected.Tensors.Count)
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: re-applying quantizes {got.Count} tensors, the manifest lists {expected.Tensors.Count}");
    }
}
