using LowBit.Cli.Support;

namespace LowBit.Cli.Tests.Support;

/// <summary>The output rules shared by every command (docs/cli.md, "Outputs"), first as functions, then through the
/// commands that once broke them (issue 8, part 4).</summary>
public class OutputFilesChecksTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static void AssertError(CliResult r, int code, params string[] mentions) => Commands.QuantizeCommandTests.AssertError(r, code, mentions);

    private static ErrorKind KindOf(Action a) => Assert.Throws<LowBitException>(a).Kind;

    [Fact]
    public void CheckModel_EachRule_RefusesWithItsKind()
    {
        string input = h.PathOf("in.onnx"), existing = h.PathOf("old.onnx");
        File.WriteAllText(input, "x");
        File.WriteAllText(existing, "x");
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckModel("--out", h.PathOf("calib.npy"), false, [])));
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckModel("--out", h.Dir, false, [])));
        Assert.Equal(ErrorKind.UnsafePath, KindOf(() => OutputFiles.CheckModel("--out", input, true, [input])));
        Assert.Equal(ErrorKind.UnsafePath, KindOf(() => OutputFiles.CheckModel("--out", existing, false, [])));
        Assert.Equal(ErrorKind.FileNotFound, KindOf(() => OutputFiles.CheckModel("--out", h.PathOf("no/dir/m.onnx"), false, [])));
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckModel("--out", "/proc/x.onnx", false, [])));
        OutputFiles.CheckModel("--out", existing, true, [input]);
        OutputFiles.CheckModel("--out", h.PathOf("new.onnx"), false, [input]);
        Assert.Empty(Directory.GetFiles(h.Dir, ".lowbit-probe*"));
    }

    [Fact]
    public void CheckFolder_UnderAFileOrUnwritable_Refused_MissingIsFine()
    {
        File.WriteAllText(h.PathOf("f"), "x");
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckFolder("--report", h.PathOf("f"))));
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckFolder("--report", h.PathOf("f/sub"))));
        Assert.Equal(ErrorKind.Usage, KindOf(() => OutputFiles.CheckFolder("--report", "/proc/rep")));
        OutputFiles.CheckFolder("--report", h.PathOf("a/b/c"));
        Assert.False(Directory.Exists(h.PathOf("a")));  // checking creates nothing
    }

    [Fact]
    public void CheckDistinct_SamePathTwice_NamesBothFlags()
    {
        var e = Assert.Throws<LowBitException>(() => OutputFiles.CheckDistinct(("--out", h.PathOf("t.onnx")), ("--log", h.PathOf("./t.onnx"))));
        Assert.Contains("--log", e.Message);
        Assert.Contains("--out", e.Message);
        OutputFiles.CheckDistinct(("--out", h.PathOf("t.onnx")), ("--log", null), ("--x", h.PathOf("t.json")));
    }

    [Fact]
    public void Quantize_UnwritableOutAndReport_ExitUsage2BeforeLoading()
    {
        var model = h.Save(Commands.QuantModelsFixture.TinyMatMul(), "m.onnx");
        AssertError(CliHarness.Run("quantize", model, "--out", "/proc/x.onnx", "--mode", "weight-only"), 2, "--out /proc/x.onnx", "cannot write");
        AssertError(CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--mode", "weight-only", "--report", "/proc/rep"), 2,
            "--report /proc/rep", "cannot write");
        Assert.False(File.Exists(h.PathOf("q.onnx")));
    }

    [Fact]
    public void Quantize_ExistingOut_RefusedWithoutForceReplacedWithIt()
    {
        var model = h.Save(Commands.QuantModelsFixture.TinyMatMul(), "m.onnx");
        string q = h.PathOf("keep.onnx");
        File.WriteAllText(q, "precious");
        AssertError(CliHarness.Run("quantize", model, "--out", q, "--mode", "weight-only"), 7, "--out " + q, "--force");
        Assert.Equal("precious", File.ReadAllText(q));
        var r = CliHarness.Run("quantize", model, "--out", q, "--mode", "weight-only", "--force", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.NotEqual("precious", File.ReadAllText(q));
    }

    [Fact]
    public void Quantize_OutEqualsCalibCacheOrRecipe_Refused()
    {
        var model = h.Save(Commands.QuantModelsFixture.TinyMatMul(), "m.onnx");
        string q = h.PathOf("q.onnx");
        AssertError(CliHarness.Run("quantize", model, "--out", q, "--calib-data", "random:4", "--calib-cache", h.PathOf("q.lowbit.json")), 2,
            "--calib-cache", "manifest");
        File.WriteAllText(h.PathOf("r.onnx"), "{}");
        AssertError(CliHarness.Run("quantize", model, "--out", h.PathOf("r.onnx"), "--recipe", h.PathOf("r.onnx"), "--force", "--mode", "weight-only"),
            7, "input");
    }

    [Fact]
    public void Train_OutNotOnnxOrSameAsLog_RefusedBeforeTraining()
    {
        string data = h.PathOf("calib.npy");
        File.WriteAllText(data, "data");
        string[] train = ["train", "fashion-cnn", "--dataset", "fashion-mnist-1k", "--epochs", "1", "--max-steps", "1", "--threads", "1"];
        AssertError(CliHarness.Run([.. train, "--out", data]), 2, "--out " + data, ".onnx");
        Assert.Equal("data", File.ReadAllText(data));
        AssertError(CliHarness.Run([.. train, "--out", h.PathOf("tl.onnx"), "--log", h.PathOf("tl.onnx")]), 2, "--log", ".json");
        AssertError(CliHarness.Run([.. train, "--out", h.PathOf("tl.onnx"), "--log", h.PathOf("tl.vocab.json")]), 2, "--log", "--out vocabulary");
        AssertError(CliHarness.Run([.. train, "--out", "/proc/m.onnx"]), 2, "--out /proc/m.onnx");
        AssertError(CliHarness.Run([.. train, "--out", h.PathOf("m.onnx"), "--checkpoint-dir", "/proc/ck"]), 2, "--checkpoint-dir /proc/ck");
        File.WriteAllText(h.PathOf("keep.onnx"), "model");
        AssertError(CliHarness.Run([.. train, "--out", h.PathOf("keep.onnx")]), 7, "--force");
        Assert.Equal("model", File.ReadAllText(h.PathOf("keep.onnx")));
        Assert.False(Directory.Exists(h.PathOf("checkpoints")));
    }

    [Fact]
    public void Run_OutputFolderUnwritable_ExitsUsage2()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        AssertError(CliHarness.Run("run", model, "--random", "--output", "/proc/out"), 2, "--output /proc/out");
    }

    [Fact]
    public void Run_SecondOutputCannotBeWritten_RemovesTheFirst()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        string dir = h.PathOf("out");
        Directory.CreateDirectory(Path.Combine(dir, "_._b.npy"));  // output "../b" lands here: a folder, so its write fails
        var r = CliHarness.Run("run", model, "--random", "--output", dir);
        Assert.NotEqual(0, r.Code);
        Assert.False(File.Exists(Path.Combine(dir, "out_a_0.npy")), r.Err);
    }

    [Fact]
    public void Compare_ReportUnwritable_ExitsUsage2()
    {
        var model = h.Save(Commands.QuantModelsFixture.TinyMatMul(), "m.onnx");
        AssertError(CliHarness.Run("compare", model, model, "--data", "random:4", "--report", "/proc/rep"), 2, "--report /proc/rep");
    }
}
