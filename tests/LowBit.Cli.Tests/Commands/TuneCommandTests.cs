using LowBit.Data;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit tune</c> on the committed fashion-cnn with tiny spaces and few samples (these check the command;
/// docs/tuning.md has the measured comparison).</summary>
public class TuneCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Model => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");

    /// <summary>Three round-to-nearest configs differing in the observer.</summary>
    private const string Three = "observer=minmax,mse,percentile;granularity=per-channel;weight-range=mse;bias-correction=none;exclude=none";

    private string[] Args(string log, params string[] more) =>
        ["tune", Model, "--data", "fashion-mnist-1k", "--eval", "fashion-mnist-1k", "--eval-samples", "100", "--calib-samples", "16",
         "--threads", "2", "--log", log, "--json", .. more];

    /// <summary>stderr that cancels the run once a line containing <paramref name="trigger"/> is written.</summary>
    private sealed class CancelOn(string trigger, CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal)) cts.Cancel();
        }
    }

    [CommittedModelFact]
    public void Tune_CtrlCThenRerun_KeepsFinishedTrialsAndRunsOnlyTheRest_Deterministically()
    {
        string log = h.PathOf("t.jsonl");
        using (var cts = new CancellationTokenSource())
        {
            var err = new CancelOn("evaluate trial 2/3", cts);
            int code = CliApp.Run([.. Args(log, "--space", Three, "--strategy", "grid", "--out", h.PathOf("m.onnx")), "--verbose"], new StringWriter(), err, cts.Token);
            Assert.True(code == 130, err.ToString());
        }
        Assert.False(File.Exists(h.PathOf("m.onnx")));
        var lines = File.ReadAllLines(log);
        Assert.Single(lines);

        // A kill during the next write leaves half a line behind; it is skipped and that trial runs again.
        File.AppendAllText(log, lines[0][..(lines[0].Length / 2)]);
        var b = CliHarness.Run(Args(log, "--space", Three, "--strategy", "grid"));
        Assert.True(b.Code == 0, b.Err);
        Assert.Contains("unreadable line", b.Err);
        var tb = b.Json().GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal([true, false, false], tb.Select(t => t.GetProperty("cached").GetBoolean()));
        var kept = File.ReadAllLines(log);
        Assert.Equal(4, kept.Length);  // the half line stays, unread; the two new lines follow it whole
        Assert.Equal(3, kept.Count(l => l.StartsWith("{\"key\":", StringComparison.Ordinal) && l.EndsWith('}')));

        // Deterministic: the second config run alone, into a fresh log, measures exactly the same.
        string key = tb[1].GetProperty("key").GetString()!;
        var c = CliHarness.Run(Args(h.PathOf("fresh.jsonl"), "--trial", key));
        Assert.True(c.Code == 0, c.Err);
        var tc = c.Json().GetProperty("trials")[0];
        Assert.False(tc.GetProperty("cached").GetBoolean());
        Assert.Equal(tb[1].GetProperty("top1").GetDouble(), tc.GetProperty("top1").GetDouble());
        Assert.Equal(tb[1].GetProperty("bytes").GetInt64(), tc.GetProperty("bytes").GetInt64());

        // A model-strategy run over the same space finds every trial in the log.
        var d = CliHarness.Run(Args(log, "--space", Three, "--strategy", "model", "--trials", "3"));
        Assert.True(d.Code == 0, d.Err);
        Assert.All(d.Json().GetProperty("trials").EnumerateArray(), t => Assert.True(t.GetProperty("cached").GetBoolean()));
    }

    [CommittedModelFact]
    public void Tune_TrialByKey_ThenOut_WritesTheModelTheQuantizeFlagsReproduce()
    {
        string log = h.PathOf("jobs.jsonl");
        const string key = "observer=mse;granularity=per-channel;weight-range=mse;algorithm=nearest;bias-correction=empirical;exclude=first";
        var job = CliHarness.Run(Args(log, "--trial", key));
        Assert.True(job.Code == 0, job.Err);
        Assert.Single(File.ReadAllLines(log));
        Assert.Contains(key, File.ReadAllText(log));

        string output = h.PathOf("best.onnx");
        // A key is also a one-config space.
        var r = CliHarness.Run(Args(log, "--space", key, "--strategy", "random", "--out", output));
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.True(j.GetProperty("trials")[0].GetProperty("cached").GetBoolean());
        var best = j.GetProperty("best");
        Assert.Equal(key, best.GetProperty("key").GetString());
        Assert.Equal(new FileInfo(output).Length, best.GetProperty("bytes").GetInt64());
        Assert.True(File.Exists(output + ".lowbit.json") || File.Exists(Path.ChangeExtension(output, null) + ".lowbit.json"));

        string command = best.GetProperty("quantize_command").GetString()!;
        Assert.Contains("--exclude", command);
        Assert.Contains("--bias-correction empirical", command);
        var args = command.Split(' ').Skip(1).ToArray();  // drop "lowbit"; the temp paths hold no spaces
        string again = h.PathOf("again.onnx");
        args[Array.IndexOf(args, "--out") + 1] = again;
        var q = CliHarness.Run([.. args, "--threads", "2"]);
        Assert.True(q.Code == 0, q.Err);
        Assert.Equal(File.ReadAllBytes(output), File.ReadAllBytes(again));
    }

    [Fact]
    public void Tune_List_PrintsEveryKeyOfTheDefaultGrid()
    {
        var r = CliHarness.Run("tune", "whatever.onnx", "--list");
        Assert.True(r.Code == 0, r.Err);
        var keys = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(96, keys.Length);
        Assert.StartsWith("observer=minmax;granularity=per-channel;", keys[0]);
    }

    [CommittedModelFact]
    public void Tune_BadFlags_OneLineUsageErrorsBeforeAnyTrial()
    {
        string log = h.PathOf("t.jsonl");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["--strategy", "bayes"], (int)ErrorKind.Usage, "--strategy bayes: unknown"),
            (["--space", "colour=red"], (int)ErrorKind.Usage, "--space colour=red"),
            (["--space", "observer=median"], (int)ErrorKind.Usage, "unknown observer 'median'"),
            (["--space", "granularity=per-row"], (int)ErrorKind.Usage, "--granularity per-row"),
            (["--trial", "observer=mse"], (int)ErrorKind.Usage, "--trial observer=mse: missing"),
            (["--trials", "0"], (int)ErrorKind.Usage, "--trials 0: must be at least 1"),
            (["--out", Model], (int)ErrorKind.UnsafePath, "is the input model"),
            (["--weights", "int99"], (int)ErrorKind.Usage, "int99"),
            (["--activations", "none"], (int)ErrorKind.Usage, "static configurations"),
        ];
        foreach (var (more, code, message) in cases)
        {
            var r = CliHarness.Run(Args(log, more));
            Assert.True(code == r.Code, $"{string.Join(' ', more)}: exit {r.Code}, {r.Err}");
            var line = Assert.Single(r.ErrLines);
            Assert.StartsWith("error: ", line);
            Assert.Contains(message, line);
            Assert.Equal("", r.Out);
        }
        Assert.False(File.Exists(log));
        var noEval = CliHarness.Run("tune", Model, "--data", "fashion-mnist-1k", "--log", log);
        Assert.Equal((int)ErrorKind.Usage, noEval.Code);
        Assert.Contains("needs --eval", noEval.Err);
        var onnxLog = CliHarness.Run(Args(h.PathOf("log.onnx")));
        Assert.Equal((int)ErrorKind.Usage, onnxLog.Code);
        Assert.Contains("JSON lines", onnxLog.Err);
    }
}
