using System.CommandLine;
using LowBit.Cli.Tuning;

namespace LowBit.Cli.Commands;

/// <summary>The flags of <c>lowbit tune</c> (docs/tuning.md).</summary>
internal sealed class TuneOptions
{
    public const int DefaultTrials = 40;
    public const int DefaultSeeds = 5;
    public const double DefaultTolerance = 0.1;
    public const string DefaultWeights = "int4";
    public const string DefaultActivations = "uint8";
    public static IReadOnlyList<string> Strategies { get; } = ["model", "random", "grid", "compare"];

    private static string SpaceHelp => string.Join("; ", TuneSpace.Dimensions.Select((d, i) => $"{d}={string.Join(",", TuneSpace.DefaultValues[i])}"));

    public Argument<string> Model { get; } = CommonOptions.Model();
    public Option<string?> Data { get; } = new("--data", "-d", "--calib-data") { Description = "Calibration data of every trial: fashion-mnist:train, images=DIR,preset=...,size=N, idx=..., npy=... (docs/calibration-data.md)", HelpName = "SPEC" };
    public Option<string?> Eval { get; } = new("--eval", "--eval-data") { Description = "Labelled data every trial's top-1 is measured on in ONNX Runtime (a validation split)", HelpName = "SPEC" };
    public Option<int?> EvalSamples { get; } = CommonOptions.AtLeast("--eval-samples", 1, "Samples of --eval (default all)");
    public Option<int?> CalibSamples { get; } = CommonOptions.AtLeast("--calib-samples", 1, $"Calibration samples, the first N of --data (default {QuantizeOptions.DefaultCalibSamples})");
    public Option<string> Weights { get; } = new("--weights", "-w") { Description = "Weight format of every trial", HelpName = "FORMAT", DefaultValueFactory = _ => DefaultWeights };
    public Option<string> Activations { get; } = new("--activations", "-a") { Description = "Activation format of every trial (static)", HelpName = "FORMAT", DefaultValueFactory = _ => DefaultActivations };
    public Option<string?> Space { get; } = new("--space") { Description = $"Search space, DIM=V1,V2;DIM=...; dimensions not named keep their defaults: {SpaceHelp}", HelpName = "SPEC" };
    public Option<string> Strategy { get; } = new("--strategy", "-s") { Description = "model (FastTree cost model), random, grid, or compare (measure the whole grid, then replay the three over it for --seeds seeds)", HelpName = "S", DefaultValueFactory = _ => "model" };
    public Option<int> Trials { get; } = CommonOptions.Int("--trials", 1, 1_000_000, DefaultTrials, "Trial budget of model/random/grid (at most the grid size)");
    public Option<int> Seed { get; } = CommonOptions.Int("--seed", 0, int.MaxValue, 0, "Seed of random and model (compare: the first of --seeds consecutive seeds)");
    public Option<int> Seeds { get; } = CommonOptions.Int("--seeds", 1, 1000, DefaultSeeds, "compare: seeds per strategy");
    public Option<double?> Tolerance { get; } = CommonOptions.Number("--tolerance", 0, exclusive: false, $"compare: also count trials to within T points of the best (default {DefaultTolerance})", "T");
    public Option<string?> Log { get; } = new("--log") { Description = "JSON-lines trial log, appended per trial; a rerun skips the trials in it (default OUT.trials.jsonl, or MODEL.trials.jsonl in the current folder)", HelpName = "FILE" };
    public Option<string?> Trial { get; } = new("--trial") { Description = "Run only this trial (a key from --list) and append it to the log: one array job", HelpName = "KEY" };
    public Option<bool> List { get; } = new("--list") { Description = "Print the keys of every configuration of the space (grid order) and exit" };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Write the best configuration's model here (+ manifest); never the input", HelpName = "FILE" };
    public Option<bool> Force { get; } = CommonOptions.Force();
    public Option<int> Threads { get; } = CommonOptions.Threads();

    public IEnumerable<Symbol> All => [Model, Data, Eval, EvalSamples, CalibSamples, Weights, Activations, Space, Strategy, Trials, Seed, Seeds, Tolerance, Log, Trial, List, Out, Force, Threads];

    public static string ParseStrategy(string s)
    {
        string n = s.Trim().ToLowerInvariant();
        return Strategies.Contains(n) ? n : throw new LowBitException(ErrorKind.Usage, $"--strategy {s}: unknown; use {string.Join(", ", Strategies)}");
    }

    /// <summary>The log path: --log, else beside --out, else MODEL-stem.trials.jsonl in the current folder.</summary>
    public static string LogPath(string? log, string? output, string model) =>
        log ?? (output is not null ? Path.ChangeExtension(output, null) + ".trials.jsonl" : Path.GetFileNameWithoutExtension(model) + ".trials.jsonl");
}
