using LowBit.Cli.Tuning;

namespace LowBit.Cli.Tests.Tuning;

public class TrialLogTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lowbit-tune-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static TrialRecord R(string key, double top1, string context = "ctx") => new(key, context, top1, 1000, 1.5);

    [Fact]
    public void Append_ThenReopen_ReadsEveryRecordBack()
    {
        string path = Path.Combine(dir, "t.jsonl");
        var log = new TrialLog(path, "ctx");
        log.Append(R("a", 0.9));
        log.Append(new TrialRecord("b", "ctx", null, null, 0.1, "boom"));
        var again = new TrialLog(path, "ctx");
        Assert.Equal(0.9, again.Find("a")!.Top1);
        Assert.Equal("boom", again.Find("b")!.Error);
        Assert.Equal(0, again.Find("b")!.Score);
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Open_HalfWrittenLastLine_IsSkippedAndTheNextAppendStaysWhole()
    {
        string path = Path.Combine(dir, "t.jsonl");
        new TrialLog(path, "ctx").Append(R("a", 0.9));
        File.AppendAllText(path, "{\"key\":\"b\",\"context\":\"ctx\",\"to");  // killed mid-write
        var log = new TrialLog(path, "ctx");
        Assert.Equal(1, log.Unreadable);
        Assert.Null(log.Find("b"));
        log.Append(R("b", 0.8));
        var again = new TrialLog(path, "ctx");
        Assert.Equal(0.8, again.Find("b")!.Top1);
        Assert.Equal(1, again.Unreadable);
    }

    [Fact]
    public void Open_ConcatenatedLogsAndOtherContexts_FirstLineOfEachKeyWinsOthersIgnored()
    {
        string a = Path.Combine(dir, "a.jsonl"), b = Path.Combine(dir, "b.jsonl"), all = Path.Combine(dir, "all.jsonl");
        new TrialLog(a, "ctx").Append(R("x", 0.5));
        var lb = new TrialLog(b, "ctx");
        lb.Append(R("y", 0.6));
        lb.Append(R("x", 0.7));
        new TrialLog(b, "other").Append(R("z", 0.1, "other"));
        File.WriteAllText(all, File.ReadAllText(a) + File.ReadAllText(b));
        var log = new TrialLog(all, "ctx");
        Assert.Equal(2, log.Records.Count);
        Assert.Equal(0.5, log.Find("x")!.Top1);
        Assert.Equal(1, log.OtherContext);
    }
}
