using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
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
        Description = "Size of a dynamic dimension for random inputs: NAME=SIZE by name, POS:SIZE by position (e.g. 0:1,1:512), INPUT:POS:SIZE for one input (repeatable; default 1)",
        HelpName = "NAME=SIZE|POS:SIZE",
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

    public static Option<bool> Force() => new("--force", "-f") { Description = "Replace an existing output model (inputs are never replaced)" };

    /// <summary>More threads than this is a typo, not a machine: thread pools of that size only exhaust memory.</summary>
    public const int MaxThreads = 1024;

    public static Option<int> Threads() => Int("--threads", 1, MaxThreads, Environment.ProcessorCount,
        "Threads per engine (default: all cores)", alias: "-t");

    /// <summary>An int option in [<paramref name="min"/>, <paramref name="max"/>] with a default. Parsed here rather than by
    /// System.CommandLine so that "abc" or a value beyond int are one-line usage errors (exit 2) naming the flag.</summary>
    public static Option<int> Int(string name, int min, int max, int defaultValue, string description, string helpName = "N", string? alias = null)
    {
        var o = alias is null ? new Option<int>(name) : new Option<int>(name, alias);
        o.Description = description;
        o.HelpName = helpName;
        o.DefaultValueFactory = _ => defaultValue;
        o.CustomParser = r => ParseInt(r, name, min, max) ?? defaultValue;
        return o;
    }

    /// <summary>An optional int option that must be ≥ <paramref name="min"/> (and fit an int).</summary>
    public static Option<int?> AtLeast(string name, int min, string description, string helpName = "N", int max = int.MaxValue) =>
        new(name) { Description = description, HelpName = helpName, CustomParser = r => ParseInt(r, name, min, max) };

    /// <summary>An optional finite number option ≥ <paramref name="min"/> (or &gt; it when <paramref name="exclusive"/>).</summary>
    public static Option<double?> Number(string name, double min, bool exclusive, string description, string helpName = "S") =>
        new(name) { Description = description, HelpName = helpName, CustomParser = r => ParseNumber(r, name, min, exclusive) };

    /// <summary>The option's last token as an int in [min, max]; null (and an error on <paramref name="r"/>) otherwise.</summary>
    internal static int? ParseInt(ArgumentResult r, string name, long min, long max)
    {
        if (r.Tokens.Count == 0) return null;
        string text = r.Tokens[^1].Value;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            bool digits = text.TrimStart('-', '+').Length > 0 && text.TrimStart('-', '+').All(char.IsAsciiDigit);
            r.AddError(digits ? $"{name} {text}: too large (at most {max})" : $"{name} {text}: not a whole number");
            return null;
        }
        if (v < min) r.AddError($"{name} {text}: must be at least {min}");
        else if (v > max) r.AddError($"{name} {text}: too large (at most {max})");
        else return (int)v;
        return null;
    }

    internal static double? ParseNumber(ArgumentResult r, string name, double min, bool exclusive)
    {
        if (r.Tokens.Count == 0) return null;
        string text = r.Tokens[^1].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            r.AddError($"{name} {text}: not a finite number");
        else if (exclusive ? !(v > min) : !(v >= min))
            r.AddError($"{name} {text}: must be {(exclusive ? "greater than" : "at least")} {min.ToString(CultureInfo.InvariantCulture)}");
        else return v;
        return null;
    }
}
