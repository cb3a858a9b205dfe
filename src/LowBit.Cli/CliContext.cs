using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace LowBit.Cli;

/// <summary>
/// Where a command writes. Human mode renders with Spectre on stdout; <c>--json</c> mode writes exactly one JSON object on
/// stdout (snake_case fields, NaN/Infinity as strings) and nothing else there. Warnings and progress go to stderr in both.
/// </summary>
internal sealed class CliContext
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public bool Json { get; }
    public bool Verbose { get; }
    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public CancellationToken Cancellation { get; }
    /// <summary>Human-readable output (stdout). Never used in JSON mode.</summary>
    public IAnsiConsole Console { get; }
    /// <summary>True when stderr is an interactive terminal (progress displays are shown only then).</summary>
    public bool InteractiveErr { get; init; }
    /// <summary>True when stderr is redirected (a file, a pipe, CI): long phases then print plain progress lines there
    /// (<see cref="Support.ProgressDisplay"/>), so a log shows the run is alive.</summary>
    public bool ProgressLines { get; init; }

    public CliContext(bool json, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        Json = json;
        Verbose = verbose;
        Out = stdout;
        Err = stderr;
        Cancellation = cancellation;
        Console = MakeConsole(stdout, ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected);
    }

    /// <summary>A Spectre console over <paramref name="writer"/>: plain text unless it is a terminal.</summary>
    public static IAnsiConsole MakeConsole(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Redirected output has no width to fit: lines are never wrapped there (a file or a pipe gets whole lines and
        // tables at their natural width), so scripts can grep them.
        if (!terminal) console.Profile.Width = UnwrappedWidth;
        return console;
    }

    /// <summary>The console width of redirected output: wider than any line or table a command prints.</summary>
    public const int UnwrappedWidth = 1 << 20;

    public void WriteJson<T>(T result)
    {
        Out.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        Out.Flush();
    }

    /// <summary>One line on stderr, prefixed "warning: ".</summary>
    public void Warn(string message) => Err.WriteLine("warning: " + OneLine(message));

    /// <summary>With --verbose, a progress line on stderr ("lowbit: ..."); silent otherwise.</summary>
    public void Trace(string message)
    {
        if (!Verbose) return;
        Err.WriteLine("lowbit: " + message);
        Err.Flush();
    }

    public void ThrowIfCancelled() => Cancellation.ThrowIfCancellationRequested();

    public static string OneLine(string s) => string.Join(' ', s.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
}
