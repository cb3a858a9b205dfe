namespace LowBit.Cli;

/// <summary>
/// Maps failures to exit codes and one line on stderr (docs/cli.md, "Exit codes"). User errors
/// (<see cref="LowBitException"/>) exit with their <see cref="ErrorKind"/> value; anything unexpected exits
/// <see cref="Internal"/>. A stack trace is printed only with <c>--verbose</c>.
/// </summary>
internal static class ErrorBoundary
{
    public const int Ok = 0;
    /// <summary>An unexpected failure: a bug in LowBit (BSD sysexits EX_SOFTWARE).</summary>
    public const int Internal = 70;
    public const int Cancelled = (int)ErrorKind.Cancelled;

    public static int Handle(Exception e, TextWriter stderr, bool verbose)
    {
        var (code, message) = Classify(e);
        stderr.WriteLine("error: " + CliContext.OneLine(message));
        if (verbose) stderr.WriteLine(e.ToString());
        stderr.Flush();
        return code;
    }

    public static (int Code, string Message) Classify(Exception e) => e switch
    {
        LowBitException le => ((int)le.Kind, le.Message),
        OperationCanceledException => (Cancelled, "cancelled"),
        AggregateException { InnerExceptions.Count: 1 } ae => Classify(ae.InnerException!),
        OutOfMemoryException => (Internal, "out of memory (try a smaller --batch or fewer --threads)"),
        _ => (Internal, $"internal error ({e.GetType().Name}: {e.Message}); please report it with the output of --verbose"),
    };
}
