using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Cli.Tests;

/// <summary>Every error class: its documented exit code (docs/cli.md) and exactly one stderr line "error: ..." naming the
/// problem, with no stack trace and nothing on stdout.</summary>
public class ErrorTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static void AssertError(CliResult r, int code, params string[] mentions)
    {
        Assert.Equal(code, r.Code);
        Assert.Equal("", r.Out);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("   at ", r.Err);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    [Fact]
    public void UnknownOption_ExitsUsage2()
        => AssertError(CliHarness.Run("inspect", "m.onnx", "--frobnicate"), 2, "--frobnicate", "lowbit inspect --help");

    [Fact]
    public void NoCommand_ExitsUsage2() => AssertError(CliHarness.Run(), 2, "inspect, run, bench");

    [Fact]
    public void BadThreads_ExitsUsage2() => AssertError(CliHarness.Run("run", "m.onnx", "--threads", "0"), 2, "--threads");

    [Fact]
    public void BadEngine_ExitsUsage2() => AssertError(CliHarness.Run("run", "m.onnx", "--engine", "tvm"), 2, "tvm");

    [Theory]
    [InlineData("inspect")]
    [InlineData("run")]
    [InlineData("bench")]
    public void MissingModelFile_ExitsFileNotFound3(string command)
        => AssertError(CliHarness.Run(command, "/nonexistent/model.onnx", "--json"), 3, "/nonexistent/model.onnx", "not found");

    [Fact]
    public void MissingNpyFile_ExitsFileNotFound3()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        AssertError(CliHarness.Run("run", model, "--input", "x=nope.npy"), 3, "nope.npy");
    }

    [Fact]
    public void TruncatedModel_ExitsInvalidModel4()
    {
        var bytes = OnnxExporter.ToBytes(CliHarness.IdentityModel());
        var path = h.PathOf("cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        AssertError(CliHarness.Run("inspect", path), 4, "cut.onnx");
    }

    [Fact]
    public void NonOnnxBytes_ExitsInvalidModel4()
    {
        var path = h.PathOf("text.onnx");
        File.WriteAllText(path, "this is not a protobuf at all, just some text\n");
        AssertError(CliHarness.Run("run", path, "--random"), 4, "text.onnx");
    }

    [Fact]
    public void UnsupportedOps_ExitUnsupported5NamingEveryTypeNodeAndOpset()
    {
        var model = h.Save(CliHarness.UnsupportedModel(), "u.onnx");
        AssertError(CliHarness.Run("run", model, "--random"), 5,
            "2 operator types", "NotARealOp (opset 17; 2 nodes: fake1, fake2)", "com.example.Frobnicate (opset 1; 1 node: frob)", "--engine ort");
        AssertError(CliHarness.Run("bench", model, "--engine", "both"), 5, "NotARealOp");
    }

    [Fact]
    public void InputOfWrongShape_ExitsInvalidInput6()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(new float[8], 2, 4));
        AssertError(CliHarness.Run("run", model, "--input", x), 6, "x.npy", "[batch,3]", "[2,4]");
    }

    [Fact]
    public void InputOfWrongDType_ExitsInvalidInput6()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(new double[6], 2, 3));
        AssertError(CliHarness.Run("run", model, "--input", $"x={x}", "--engine", "ort"), 6, "expects float32", "float64", "astype");
    }

    [Fact]
    public void MissingInputWithoutRandom_ExitsInvalidInput6()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        AssertError(CliHarness.Run("run", model), 6, "missing input 'x'", "--random");
    }

    [Fact]
    public void UnknownInputName_ExitsInvalidInput6()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(new float[4], 2, 2));
        AssertError(CliHarness.Run("run", model, "--input", $"q={x}"), 6, "no input 'q'", "a, b");
    }

    [Fact]
    public void ExternalDataEscapingTheModelFolder_ExitsUnsafePath7()
    {
        var g = CliHarness.IdentityModel();
        g.Initializers["w"] = Tensor.FromArray(new float[512], 512);
        var proto = OnnxExporter.ToProto(g);
        var w = proto.Graph.Initializer.Single(t => t.Name == "w");
        w.RawData = Google.Protobuf.ByteString.Empty;
        w.DataLocation = global::Onnx.TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        var path = h.PathOf("escape.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        AssertError(CliHarness.Run("inspect", path, "--json"), 7, "../../etc/passwd", "escapes the model folder");
    }

    [Fact]
    public void CancelledBeforeRunning_Exits130AndWritesNothing()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var outDir = h.PathOf("out");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        AssertError(CliHarness.RunWith(cts.Token, "run", model, "--random", "--output", outDir), 130, "cancelled");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void UnexpectedException_Exits70WithOneLineAndTraceOnlyWhenVerbose()
    {
        Exception boom;
        try { throw new InvalidOperationException("boom\nsecond line"); } catch (Exception e) { boom = e; }
        var quiet = new StringWriter();
        Assert.Equal(70, ErrorBoundary.Handle(boom, quiet, verbose: false));
        var line = Assert.Single(quiet.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: internal error (InvalidOperationException: boom second line)", line);
        var loud = new StringWriter();
        ErrorBoundary.Handle(boom, loud, verbose: true);
        Assert.Contains("   at ", loud.ToString());
    }

    [Fact]
    public void Verbose_AddsStackTraceAfterTheErrorLine()
    {
        var r = CliHarness.Run("inspect", "/nonexistent.onnx", "--verbose");
        Assert.Equal(3, r.Code);
        Assert.StartsWith("error: /nonexistent.onnx: file not found", r.Err);
        Assert.Contains("LowBitException", r.Err);
    }
}
