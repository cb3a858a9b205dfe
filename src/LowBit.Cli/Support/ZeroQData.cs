using System.Diagnostics;
using System.Globalization;
using LowBit.Data;
using LowBit.Data.Inputs;
using LowBit.Quantization.Calibration;

namespace LowBit.Cli.Support;

/// <summary>
/// <c>--calib-data zeroq:N</c>: synthesizes the calibration samples from the float model before calibration starts
/// (<see cref="ZeroQ"/>), with one plain progress line on stderr at most every <see cref="ProgressDisplay.PlainInterval"/>
/// ("lowbit: zeroq: batch 2/8 iteration 100/200 loss 0.0123") and at the end of each batch.
/// </summary>
internal static class ZeroQData
{
    /// <summary>The synthesized samples when <paramref name="spec"/> is a zeroq spec, else null (open it as data).</summary>
    public static SampleSource? TryOpen(CliContext ctx, string spec, Graph.Graph model, string modelPath, string flag)
    {
        DataSpec parsed;
        try { parsed = DataSpec.Parse(spec); }
        catch (LowBitException) { return null; }  // ModelData reports the parse error with the flag
        if (parsed is not ZeroQSpec z) return null;
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        bool show = ctx.Verbose || ctx.ProgressLines || ctx.InteractiveErr;
        var progress = new LineProgress(p =>
        {
            if (!show || (p.Iteration < p.Iterations && clock.Elapsed - last < ProgressDisplay.PlainInterval)) return;
            last = clock.Elapsed;
            ctx.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lowbit: zeroq: batch {p.Batch}/{p.Batches} iteration {p.Iteration}/{p.Iterations} loss {p.Loss:G4}"));
            ctx.Err.Flush();
        });
        try
        {
            var source = z.Synthesize(model, progress, ctx.Cancellation, Path.GetFileName(modelPath));
            ctx.Trace(string.Create(CultureInfo.InvariantCulture, $"zeroq: {source.Count} samples synthesized in {clock.Elapsed.TotalSeconds:F1} s"));
            return source;
        }
        catch (LowBitException e) when (!e.Message.StartsWith(flag, StringComparison.Ordinal))
        {
            throw new LowBitException(e.Kind, $"{flag} {spec}: {e.Message}", e);
        }
    }

    /// <summary>Calls the action on the reporting thread.</summary>
    private sealed class LineProgress(Action<ZeroQProgress> action) : IProgress<ZeroQProgress>
    {
        public void Report(ZeroQProgress value) => action(value);
    }
}
