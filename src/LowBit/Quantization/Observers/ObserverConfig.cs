using System.Globalization;
using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// Which observer estimates activation ranges; each record validates itself. CLI-style names (<see cref="Parse"/>):
/// <c>minmax</c>, <c>moving-average[:0.01]</c>, <c>percentile[:99.99]</c>, <c>entropy</c>, <c>mse</c>.
/// </summary>
public abstract record ObserverConfig
{
    private protected ObserverConfig() { }

    /// <summary>The names <see cref="Parse"/> accepts, with their optional argument and its default.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = ["minmax", "moving-average[:0.01]", "percentile[:99.99]", "entropy", "mse"];

    /// <summary>A new observer for one tensor quantized to <paramref name="format"/> with <paramref name="scheme"/>.</summary>
    internal abstract IObserver Create(INumberFormat format, QuantScheme scheme);

    /// <summary>Exact min and max.</summary>
    public sealed record MinMax : ObserverConfig
    {
        internal override IObserver Create(INumberFormat format, QuantScheme scheme) => new MinMaxObserver();
        public override string ToString() => "minmax";
    }

    /// <summary>Per-batch min/max averaged with <see cref="Momentum"/> (weight of the new batch).</summary>
    public sealed record MovingAverage : ObserverConfig
    {
        public double Momentum { get; }

        public MovingAverage(double momentum = 0.01)
        {
            if (!(momentum > 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in (0, 1]");
            Momentum = momentum;
        }

        internal override IObserver Create(INumberFormat format, QuantScheme scheme) => new MovingAverageMinMaxObserver(Momentum);
        public override string ToString() => $"moving-average:{Momentum.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Clip at percentile <see cref="Value"/> (in (50, 100]) of |x| or of each tail.</summary>
    public sealed record Percentile : ObserverConfig
    {
        public double Value { get; }
        public PercentileTails Tails { get; }

        public Percentile(double value = 99.99, PercentileTails tails = PercentileTails.Magnitude)
        {
            if (!(value > 50 && value <= 100)) throw new ArgumentOutOfRangeException(nameof(value), value, "percentile must be in (50, 100]");
            Value = value;
            Tails = tails;
        }

        internal override IObserver Create(INumberFormat format, QuantScheme scheme) => new PercentileObserver(Value, Tails);
        public override string ToString() => $"percentile:{Value.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>TensorRT-style KL-divergence threshold.</summary>
    public sealed record Entropy : ObserverConfig
    {
        internal override IObserver Create(INumberFormat format, QuantScheme scheme) => new EntropyObserver(format, scheme);
        public override string ToString() => "entropy";
    }

    /// <summary>Clipping range minimizing the expected quantization MSE for the target grid.</summary>
    public sealed record Mse : ObserverConfig
    {
        internal override IObserver Create(INumberFormat format, QuantScheme scheme) => new MseObserver(format, scheme);
        public override string ToString() => "mse";
    }

    /// <summary>Parses a CLI name such as <c>percentile:99.9</c>; errors are usage errors naming the known observers.</summary>
    public static ObserverConfig Parse(string text)
    {
        var s = text.Trim();
        int colon = s.IndexOf(':');
        string name = (colon < 0 ? s : s[..colon]).ToLowerInvariant();
        string? arg = colon < 0 ? null : s[(colon + 1)..];
        try
        {
            return name switch
            {
                "minmax" or "min-max" when arg is null => new MinMax(),
                "moving-average" => arg is null ? new MovingAverage() : new MovingAverage(Number(arg, text)),
                "percentile" => arg is null ? new Percentile() : new Percentile(Number(arg, text)),
                "entropy" when arg is null => new Entropy(),
                "mse" when arg is null => new Mse(),
                "minmax" or "min-max" or "entropy" or "mse" => throw new LowBitException(ErrorKind.Usage, $"observer '{name}' takes no argument (got '{text}')"),
                _ => throw new LowBitException(ErrorKind.Usage, $"unknown observer '{text}'; known observers: {string.Join(", ", KnownNames)}"),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new LowBitException(ErrorKind.Usage, $"observer '{text}': {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private static double Number(string arg, string text) =>
        double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
            : throw new LowBitException(ErrorKind.Usage, $"observer '{text}': '{arg}' is not a number");
}
