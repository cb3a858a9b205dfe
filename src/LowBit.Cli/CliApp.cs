using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using LowBit.Cli.Commands;

namespace LowBit.Cli;

/// <summary>Options every command accepts (declared on the root, inherited by subcommands).</summary>
internal sealed class GlobalOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write exactly one JSON object on stdout (nothing else goes to stdout)",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Print progress lines and, with errors, the stack trace on stderr",
        Recursive = true,
    };
}

/// <summary>
/// The <c>lowbit</c> command tree and its error boundary. <see cref="Run"/> is the whole program: tests call it in-process
/// with their own writers; <see cref="Program.Main"/> passes the console and a Ctrl-C token.
/// </summary>
internal static class CliApp
{
    public static string Version => LowBitVersion.Informational;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        bool verbose = args.Contains("--verbose") || args.Contains("-v");
        try
        {
            var globals = new GlobalOptions();
            CliContext Context(ParseResult pr) =>
                new(pr.GetValue(globals.Json), pr.GetValue(globals.Verbose), stdout, stderr, cancellation)
                {
                    InteractiveErr = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected,
                    ProgressLines = ReferenceEquals(stderr, Console.Error) && Console.IsErrorRedirected,
                };
            var root = Build(globals, Context);
            var parse = root.Parse(args);
            if (parse.Action is ParseErrorAction)
            {
                string command = parse.CommandResult.Command == root ? "lowbit" : "lowbit " + parse.CommandResult.Command.Name;
                string errors = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
                stderr.WriteLine($"error: {CliContext.OneLine(errors)} (see '{command} --help')");
                return (int)ErrorKind.Usage;
            }
            cancellation.ThrowIfCancellationRequested();
            return parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            return ErrorBoundary.Handle(e, stderr, verbose);
        }
    }

    private static Command Build(GlobalOptions globals, Func<ParseResult, CliContext> context)
    {
        // A plain Command named "lowbit" rather than RootCommand, whose name is the process name ("LowBit.Cli", "dotnet").
        var root = new Command("lowbit", "LowBit: inspect, run, benchmark, train and evaluate ONNX models (and quantize them).")
        {
            new HelpOption(),
            new VersionOption { Action = new VersionAction() },
            globals.Json,
            globals.Verbose,
            InspectCommand.Create(context),
            RunCommand.Create(context),
            BenchCommand.Create(context),
            TrainCommand.Create(context),
            EvalCommand.Create(context),
            QuantizeCommand.Create(context),
            QatCommand.Create(context),
            CompareCommand.Create(context),
            DemoCommand.Create(context),
            FormatsCommand.Create(context),
            SensitivityCommand.Create(context),
            SearchCommand.Create(context),
            TuneCommand.Create(context),
            OutliersCommand.Create(context),
        };
        root.SetAction(int (_) => throw new LowBitException(ErrorKind.Usage,
            $"no command given; use one of: {string.Join(", ", root.Subcommands.Select(c => c.Name))} (see 'lowbit --help')"));
        return root;
    }

    /// <summary>Prints "lowbit &lt;version&gt;" from this assembly (the default prints the entry assembly's, which is the
    /// test host when run in-process).</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"lowbit {Version}");
            return 0;
        }
    }
}
