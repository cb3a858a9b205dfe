using System.CommandLine;
using LowBit.Cli.Support;

namespace LowBit.Cli.Commands;

/// <summary>Arguments and options shared by several commands (same names, same meaning everywhere).</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("model") { Description = "Path of the .onnx model" };

    public static Option<string[]> Inputs() => new("--input", "-i")
    {
        Description = "Input tensor from a .npy file: NAME=FILE.npy (repeatable; a single-input model may omit NAME=)",
        HelpName = "NAME=FILE.npy",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Option<bool> Random() => new("--random")
    {
        Description = "Fill inputs not given with --input with seeded random data of the declared shape",
    };

    public static Option<int> Seed(string description = "Seed for --random") => new("--seed")
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string[]> Dims() => new("--dim")
    {
        Description = "Size of a symbolic dimension for random inputs: NAME=SIZE (repeatable; default 1)",
        HelpName = "NAME=SIZE",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Option<string> Engine(bool both, string defaultValue)
    {
        var o = new Option<string>("--engine", "-e")
        {
            Description = both ? "lowbit, ort (ONNX Runtime) or both (interleaved, same inputs)" : "lowbit or ort (ONNX Runtime)",
            DefaultValueFactory = _ => defaultValue,
        };
        return both ? o.AcceptOnlyFromAmong(Engines.LowBit, Engines.Ort, "both") : o.AcceptOnlyFromAmong(Engines.LowBit, Engines.Ort);
    }

    public static Option<int> Threads()
    {
        var o = new Option<int>("--threads", "-t")
        {
            Description = "Threads per engine (default: all cores)",
            HelpName = "N",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        o.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be at least 1");
        });
        return o;
    }

    /// <summary>An int option that must be ≥ <paramref name="min"/>.</summary>
    public static Option<int?> AtLeast(string name, int min, string description, string helpName = "N")
    {
        var o = new Option<int?>(name) { Description = description, HelpName = helpName };
        o.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int v && v < min) r.AddError($"{name} must be at least {min}");
        });
        return o;
    }
}
