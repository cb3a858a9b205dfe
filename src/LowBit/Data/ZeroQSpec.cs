using System.Globalization;
using LowBit.Data.Inputs;
using LowBit.Graph;
using LowBit.Quantization.Calibration;

namespace LowBit.Data;

/// <summary>
/// <c>zeroq[:N][,iterations=I][,lr=R][,seed=S][,shape=CxHxW]</c>: N inputs synthesized from the model's BatchNormalization
/// statistics (<see cref="ZeroQ"/>), no real data. It needs the model, so it is opened by <see cref="Synthesize"/>
/// (the quantize command does this), not by <see cref="Open"/> or <see cref="OpenInputs"/>.
/// </summary>
public sealed record ZeroQSpec(int Count = ZeroQOptions.DefaultSamples, int Iterations = ZeroQOptions.DefaultIterations, ulong Seed = 0) : DataSpec
{
    /// <summary>One sample's shape without the batch dim, for inputs with symbolic non-batch dims.</summary>
    public int[]? SampleShape { get; init; }

    /// <summary>Adam step size.</summary>
    public double LearningRate { get; init; } = ZeroQOptions.DefaultLearningRate;

    public ZeroQOptions Options => new(Count, iterations: Iterations, learningRate: LearningRate, seed: Seed) { SampleShape = SampleShape };

    public override Dataset Open(int[]? sampleShape = null) => throw NeedsModel();

    public override SampleSource OpenInputs(IReadOnlyList<ValueInfo> inputs, IReadOnlyCollection<string>? fedElsewhere = null) => throw NeedsModel();

    /// <summary>Synthesizes the samples for <paramref name="model"/> (see <see cref="ZeroQ.Synthesize"/>).</summary>
    public SampleSource Synthesize(Graph.Graph model, IProgress<ZeroQProgress>? progress = null, CancellationToken cancellation = default,
        string? modelName = null) =>
        new ListSource(ToString(), ZeroQ.Synthesize(model, Options, progress, cancellation, modelName));

    private LowBitException NeedsModel() => new(ErrorKind.Usage,
        $"{this}: zeroq needs the model (it synthesizes inputs from its BatchNormalization statistics); use it as quantize --calib-data");

    public override string ToString() => $"zeroq:{Count}"
        + (Iterations == ZeroQOptions.DefaultIterations ? "" : $",iterations={Iterations}")
        + (LearningRate == ZeroQOptions.DefaultLearningRate ? "" : string.Create(CultureInfo.InvariantCulture, $",lr={LearningRate}"))
        + (Seed == 0 ? "" : $",seed={Seed}")
        + (SampleShape is null ? "" : ",shape=" + string.Join("x", SampleShape));

    /// <summary>Parses the text after <c>zeroq</c>: <paramref name="variant"/> is N, options iterations/lr/seed/shape.</summary>
    internal static ZeroQSpec Parse(string spec, string? variant, string? value, Func<string, string?> get)
    {
        LowBitException Error(string why) => new(ErrorKind.Usage, $"data spec '{spec}': {why}");
        if (value is not null) throw Error("zeroq takes no '=VALUE'; write zeroq:N");
        int count = ZeroQOptions.DefaultSamples, iterations = ZeroQOptions.DefaultIterations;
        ulong seed = 0;
        if (variant is not null && (!int.TryParse(variant, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            throw Error($"zeroq:{variant}: N must be a positive integer");
        if (get("iterations") is string it && (!int.TryParse(it, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)))
            throw Error($"iterations={it}: expected an integer ≥ 0");
        if (get("seed") is string s && !ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            throw Error($"seed={s}: expected a non-negative integer");
        double lr = ZeroQOptions.DefaultLearningRate;
        if (get("lr") is string r && (!double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out lr) || !(lr > 0) || double.IsInfinity(lr)))
            throw Error($"lr={r}: expected a positive number");
        int[]? shape = null;
        if (get("shape") is string sh)
        {
            var dims = sh.Split('x');
            shape = new int[dims.Length];
            for (int i = 0; i < dims.Length; i++)
                if (!int.TryParse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                    throw Error($"shape={sh}: expected positive sizes joined by 'x' (one sample without the batch dim, e.g. 3x224x224)");
        }
        return new ZeroQSpec(count, iterations, seed) { SampleShape = shape, LearningRate = lr };
    }

    private sealed class ListSource(string name, IReadOnlyList<IReadOnlyDictionary<string, Tensors.Tensor>> samples) : SampleSource
    {
        public override string Name => name;
        public override int Count => samples.Count;
        public override IReadOnlyList<string> InputNames => samples.Count == 0 ? [] : samples[0].Keys.ToArray();

        public override IReadOnlyDictionary<string, Tensors.Tensor> Read(int index)
        {
            CheckIndex(index);
            return samples[index];
        }
    }
}
