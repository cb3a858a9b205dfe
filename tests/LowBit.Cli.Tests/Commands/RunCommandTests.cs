using System.Text.Json;
using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

public class RunCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static readonly float[] X = { 1, -2, 3.5f, 0, 5, -6 };

    [Fact]
    public void Run_NamedNpyInputWithOutput_WritesReadableNpyPerOutput()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(X, 2, 3));
        var outDir = h.PathOf("out");
        var r = CliHarness.Run("run", model, "--input", $"x={x}", "--output", outDir);
        Assert.Equal(0, r.Code);
        var y = Npy.Read(Path.Combine(outDir, "y.npy"));
        Assert.Equal(new[] { 2, 3 }, y.Shape);
        Assert.Equal(X, y.ToFloatArray());
        Assert.Contains("wrote", r.Out);
        Assert.Single(Directory.GetFiles(outDir));
    }

    [Fact]
    public void Run_SingleInputModel_AcceptsFileWithoutName()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(X, 2, 3));
        var j = CliHarness.Run("run", model, "--input", x, "--json").Json();
        var input = j.GetProperty("inputs")[0];
        Assert.Equal("file", input.GetProperty("source").GetString());
        Assert.Equal(x, input.GetProperty("file").GetString());
        Assert.Equal(new double[] { 1, -2, 3.5, 0, 5, -6 }, j.GetProperty("outputs")[0].GetProperty("first").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void Run_Json_HasDocumentedFieldsAndStatistics()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(X, 2, 3));
        var r = CliHarness.Run("run", model, "-i", x, "--json", "--threads", "1");
        Assert.Equal(0, r.Code);
        var j = r.Json();
        Assert.Equal("run", j.GetProperty("command").GetString());
        Assert.Equal("lowbit", j.GetProperty("engine").GetString());
        Assert.Equal(1, j.GetProperty("threads").GetInt32());
        Assert.True(j.GetProperty("milliseconds").GetDouble() >= 0);
        var o = j.GetProperty("outputs")[0];
        Assert.Equal("y", o.GetProperty("name").GetString());
        Assert.Equal("float32", o.GetProperty("dtype").GetString());
        Assert.Equal(new[] { 2, 3 }, o.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(-6, o.GetProperty("min").GetDouble());
        Assert.Equal(5, o.GetProperty("max").GetDouble());
        Assert.Equal(1.5 / 6, o.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(0, o.GetProperty("nan_count").GetInt64());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("file").ValueKind);
    }

    [Fact]
    public void Run_RandomWithSeed_IsReproducibleAndUsesDim()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        string[] args = { "run", model, "--random", "--seed", "7", "--dim", "batch=4", "--json" };
        var a = CliHarness.Run(args).Json().GetProperty("outputs")[0];
        var b = CliHarness.Run(args).Json().GetProperty("outputs")[0];
        Assert.Equal(new[] { 4, 3 }, a.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(a.GetProperty("first").ToString(), b.GetProperty("first").ToString());
        var other = CliHarness.Run("run", model, "--random", "--seed", "8", "--json").Json().GetProperty("outputs")[0];
        Assert.NotEqual(a.GetProperty("first").ToString(), other.GetProperty("first").ToString());
        Assert.Equal(new[] { 1, 3 }, other.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.InRange(a.GetProperty("min").GetDouble(), -1, 1);
    }

    [Fact]
    public void Run_OutputNamesUnsafeForFiles_AreSanitisedInsideTheFolder()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        var outDir = h.PathOf("o");
        var r = CliHarness.Run("run", model, "--random", "--output", outDir, "--json");
        Assert.Equal(0, r.Code);
        Assert.Equal(new[] { "_._b.npy", "out_a_0.npy" }, Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var files = r.Json().GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("file").GetString()!).ToArray();
        Assert.All(files, f => Assert.True(File.Exists(f)));
        Assert.Equal(DType.Int64, Npy.Read(Path.Combine(outDir, "_._b.npy")).DType);
    }

    [Fact]
    public void Run_LowBitAndOrt_GiveTheSameOutputs()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        var lowbit = h.PathOf("lb");
        var ort = h.PathOf("ort");
        Assert.Equal(0, CliHarness.Run("run", model, "--random", "--seed", "3", "--engine", "lowbit", "--output", lowbit).Code);
        var r = CliHarness.Run("run", model, "--random", "--seed", "3", "--engine", "ort", "--output", ort, "--json");
        Assert.Equal(0, r.Code);
        Assert.Equal("ort", r.Json().GetProperty("engine").GetString());
        foreach (var f in new[] { "out_a_0.npy", "_._b.npy" })
        {
            var a = Npy.Read(Path.Combine(lowbit, f));
            var b = Npy.Read(Path.Combine(ort, f));
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.RawBytes().ToArray(), b.RawBytes().ToArray()); // Identity: bit-exact in both engines
        }
    }

    [Fact]
    public void Run_WithoutOutput_PrintsSummaryTable()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var x = h.SaveNpy("x.npy", Tensor.FromArray(X, 2, 3));
        var r = CliHarness.Run("run", model, "-i", x);
        Assert.Equal(0, r.Code);
        foreach (var s in new[] { "ran on LowBit", "float32", "[2,3]", "-6", "3.5", "first values" })
            Assert.Contains(s, r.Out);
    }

    [Fact]
    public void Run_OutputWouldOverwriteInputFile_IsRefused()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var y = h.SaveNpy("y.npy", Tensor.FromArray(X, 2, 3));
        var r = CliHarness.Run("run", model, "-i", $"x={y}", "--output", h.Dir);
        Assert.Equal(7, r.Code);
        Assert.Contains("would overwrite the input file", r.Err);
    }

    /// <summary>Tolerance: each output sums 16 products of values in [-1, 1]; a different summation order changes the
    /// result by at most ~16 float32 roundings (16·6e-8·|terms| ≈ 1e-6), so 1e-5 absolute + 1e-5 relative is ample.</summary>
    [Fact]
    public void Run_DenseModel_LowBitMatchesOnnxRuntime()
    {
        var model = h.Save(CliHarness.DenseModel(), "dense.onnx");
        var lowbit = h.PathOf("lb");
        var ort = h.PathOf("ort");
        string[] common = { "run", model, "--random", "--seed", "5", "--dim", "batch=3", "--output" };
        Assert.Equal(0, CliHarness.Run([.. common, lowbit, "--engine", "lowbit"]).Code);
        Assert.Equal(0, CliHarness.Run([.. common, ort, "--engine", "ort"]).Code);
        var a = Npy.Read(Path.Combine(lowbit, "y.npy")).ToFloatArray();
        var b = Npy.Read(Path.Combine(ort, "y.npy")).ToFloatArray();
        Assert.Equal(24, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.Abs(b[i]), $"y[{i}]: LowBit {a[i]} vs ORT {b[i]}");
        Assert.Contains(a, v => Math.Abs(v) > 0.1f);
    }
}
