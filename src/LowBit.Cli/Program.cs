namespace LowBit.Cli;

internal static class Program
{
    /// <summary>
    /// First Ctrl-C requests cancellation: commands stop at the next safe point (between runs, before writing a file) and
    /// exit 130; files are written atomically, so none is left half-written. A second Ctrl-C ends the process at once.
    /// </summary>
    public static int Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        int code = CliApp.Run(args, Console.Out, Console.Error, cts.Token);
        Console.Out.Flush();
        return code;
    }
}
