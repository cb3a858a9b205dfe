using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

public class BenchCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Bench_BothEngines_ReportsPerEngineTimingsRatioAndMemory()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var r = CliHarness.Run("bench", model, "--engine", "both", "--threads", "1", "--iterations", "5", "--warmup", "1", "--json");
        Assert.Equal(0, r.Code);
        var j = r.Json();
        Assert.Equal("bench", j.GetProperty("command").GetString());
        Assert.True(j.GetProperty("interleaved").GetBoolean());
        Assert.Equal(1, j.GetProperty("threads").GetInt32());
        Assert.Equal(1, j.GetProperty("batch").GetInt32());
        var engines = j.GetProperty("engines").EnumerateArray().ToArray();
        Assert.Equal(new[] { "lowbit", "ort" }, engines.Select(e => e.GetProperty("engine").GetString()));
        foreach (var e in engines)
        {
            Assert.Equal(5, e.GetProperty("runs").GetInt32());
            double min = e.GetProperty("min_ms").GetDouble(), med = e.GetProperty("median_ms").GetDouble(), p90 = e.GetProperty("p90_ms").GetDouble();
            Assert.True(0 < min && min <= med && med <= p90, $"min {min} ≤ median {med} ≤ p90 {p90}");
            Assert.Equal(1000 / med, e.GetProperty("items_per_second").GetDouble(), 1);
        }
        double ratio = j.GetProperty("lowbit_over_ort_median").GetDouble();
        Assert.Equal(engines[0].GetProperty("median_ms").GetDouble() / engines[1].GetProperty("median_ms").GetDouble(), ratio, 4);
        var mem = j.GetProperty("memory");
        Assert.True(mem.GetProperty("peak_working_set_bytes").GetInt64() > 10_000_000);
        Assert.Contains("whole process", mem.GetProperty("scope").GetString());
    }

    [Fact]
    public void Bench_SingleEngine_HasNoRatio()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var j = CliHarness.Run("bench", model, "--engine", "ort", "--iterations", "3", "--json").Json();
        Assert.Single(j.GetProperty("engines").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, j.GetProperty("lowbit_over_ort_median").ValueKind);
        Assert.False(j.GetProperty("interleaved").GetBoolean());
    }

    [Fact]
    public void Bench_BatchOnSymbolicFirstDim_SetsInputShapeAndThroughput()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var j = CliHarness.Run("bench", model, "--engine", "lowbit", "--batch", "8", "--iterations", "3", "--json").Json();
        Assert.Equal(8, j.GetProperty("batch").GetInt32());
        Assert.Equal(new[] { 8, 3 }, j.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var e = j.GetProperty("engines")[0];
        Assert.Equal(8000 / e.GetProperty("median_ms").GetDouble(), e.GetProperty("items_per_second").GetDouble(), 1);
    }

    [Fact]
    public void Bench_BatchOnFixedBatchOfOne_RelaxesItForBothEngines()
    {
        var g = new Graph.Graph();
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 1, 4));
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, 1, 4));
        g.Add("Identity", ["x"], ["y"]);
        var model = h.Save(g, "fixed1.onnx");
        var r = CliHarness.Run("bench", model, "--batch", "3", "--iterations", "2", "--json");
        Assert.Equal(0, r.Code);
        Assert.Equal(3, r.Json().GetProperty("batch").GetInt32());
    }

    [Fact]
    public void Bench_BatchOnFixedBatchOtherThanOne_FailsNamingTheInput()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        var r = CliHarness.Run("bench", model, "--batch", "4", "--iterations", "1");
        Assert.Equal(6, r.Code);
        Assert.Single(r.ErrLines);
        Assert.Contains("input 'a' has a fixed first dimension of 2", r.Err);
    }

    [Fact]
    public void Bench_IterationsAndSeconds_IsAUsageError()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var r = CliHarness.Run("bench", model, "--iterations", "3", "--seconds", "1");
        Assert.Equal(2, r.Code);
        Assert.Contains("either --iterations or --seconds", r.Err);
    }

    [Fact]
    public void Bench_Human_PrintsTableRatioAndPeakMemory()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var r = CliHarness.Run("bench", model, "--iterations", "3", "--threads", "1");
        Assert.Equal(0, r.Code);
        foreach (var s in new[] { "median ms", "p90 ms", "items/s", "LowBit", "ONNX Runtime", "median latency ratio", "Peak working set", "whole process" })
            Assert.Contains(s, r.Out);
    }
}
