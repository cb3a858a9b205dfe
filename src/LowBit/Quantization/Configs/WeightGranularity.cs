using System.Globalization;

namespace LowBit.Quantization;

/// <summary>
/// How finely weight scales are shared, without the axis: each op quantizer knows its weight layout and resolves the
/// kind to a <see cref="Granularity"/> (per channel along the output-channel axis, groups along the reduction axis).
/// Names: <c>per-tensor</c>, <c>per-channel</c> (or <c>per-channel:AXIS</c> to force an axis), <c>group:N</c>.
/// </summary>
public abstract record WeightGranularity
{
    private protected WeightGranularity() { }

    public static IReadOnlyList<string> KnownNames { get; } = ["per-tensor", "per-channel[:axis]", "group:N (N in 16..256)"];

    /// <summary>One scale for the whole weight.</summary>
    public sealed record PerTensor : WeightGranularity
    {
        public override string ToString() => "per-tensor";
    }

    /// <summary>One scale per output channel (or per index of <see cref="Axis"/> when given).</summary>
    public sealed record PerChannel(int? Axis = null) : WeightGranularity
    {
        public override string ToString() => Axis is int a ? $"per-channel:{a}" : "per-channel";
    }

    /// <summary>One scale per <see cref="Size"/> consecutive weights along the reduction axis (K of a MatMul, input
    /// channels of a Conv).</summary>
    public sealed record Group : WeightGranularity
    {
        public int Size { get; }

        public Group(int size)
        {
            if (size < PerGroup.MinBlockSize || size > PerGroup.MaxBlockSize)
                throw new ArgumentOutOfRangeException(nameof(size), size, $"group size must be in [{PerGroup.MinBlockSize}, {PerGroup.MaxBlockSize}]");
            Size = size;
        }

        public override string ToString() => $"group:{Size}";
    }

    /// <summary>The granularity for a weight whose output channels lie along <paramref name="channelAxis"/> and whose
    /// dot products run along <paramref name="reductionAxis"/>.</summary>
    internal Granularity Resolve(int channelAxis, int reductionAxis) => this switch
    {
        PerTensor => Quantization.PerTensor.Instance,
        PerChannel c => new Quantization.PerChannel(c.Axis ?? channelAxis),
        Group gr => new PerGroup(reductionAxis, gr.Size),
        _ => throw new NotSupportedException(ToString()),
    };

    /// <summary>Parses a name (see the type comment); errors are usage errors listing the known names.</summary>
    public static WeightGranularity Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        int colon = s.IndexOf(':');
        string name = colon < 0 ? s : s[..colon], arg = colon < 0 ? "" : s[(colon + 1)..];
        bool hasInt = int.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v);
        try
        {
            return name switch
            {
                "per-tensor" or "tensor" when colon < 0 => new PerTensor(),
                "per-channel" or "channel" when colon < 0 => new PerChannel(),
                "per-channel" or "channel" when hasInt => new PerChannel(v),
                "group" or "per-group" when hasInt => new Group(v),
                _ => throw new LowBitException(ErrorKind.Usage, $"unknown weight granularity '{text}'; known: {string.Join(", ", KnownNames)}"),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new LowBitException(ErrorKind.Usage, $"weight granularity '{text}': {e.Message.Split(" (Parameter")[0]}");
        }
    }
}
