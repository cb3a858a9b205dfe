using LowBit.Data;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit train --guide FILE --align STUDENT=GUIDE</c> and <c>--teacher FILE</c>: alignment to a guide network
/// and distillation from a teacher, from the command line.</summary>
public class TrainAlignmentTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Guide => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");

    private string[] Args(params string[] more) =>
        ["train", "fashion-cnn", "--dataset", "fashion-mnist-1k", "--validation", "none", "--epochs", "1", "--max-steps", "2", "--batch", "16",
         "--threads", "1", "--checkpoint-dir", "none", "--out", h.PathOf("t.onnx"), .. more];

    [CommittedModelFact]
    public void Train_WithGuideAndTeacher_TrainsAndWritesTheModel()
    {
        var r = CliHarness.Run(Args("--guide", Guide, "--align", "block1.relu2=block1.relu2", "--align", "block2.relu2=block2.relu2", "--align-weight", "2",
            "--teacher", Guide, "--distill-weight", "0.3", "--temperature", "2"));
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(h.PathOf("t.onnx")));
    }

    [Theory]
    [InlineData("need --guide FILE", "--align", "a=b")]
    [InlineData("give --teacher FILE", "--temperature", "3")]
    [InlineData("the guide has no value 'nope'", "--guide", "GUIDE", "--align", "block2.relu2=nope")]
    public void Train_BadAlignment_OneLineUsageError(string message, params string[] more)
    {
        var r = CliHarness.Run(Args([.. more.Select(m => m == "GUIDE" ? Guide : m)]));
        Assert.Equal(2, r.Code);
        Assert.Contains(message, Assert.Single(r.ErrLines));
        Assert.False(File.Exists(h.PathOf("t.onnx")));
    }
}
