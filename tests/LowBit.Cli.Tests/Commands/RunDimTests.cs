using LowBit.Graph;
using LowBit.Tensors;
using static LowBit.Cli.Tests.Commands.QuantizeCommandTests;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit run --random --dim</c> on inputs with unnamed dynamic dims ([?, ?], as many exporters write).</summary>
public class RunDimTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static Graph.Graph Unnamed()
    {
        var g = new Graph.Graph { Name = "unnamed" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Unknown, Dim.Unknown]));
        g.Inputs.Add(new ValueInfo("n", DType.Int64, [Dim.Unknown]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Unknown, Dim.Unknown]));
        g.Outputs.Add(new ValueInfo("m", DType.Int64, [Dim.Unknown]));
        g.Add("Identity", ["x"], ["y"], "idx");
        g.Add("Identity", ["n"], ["m"], "idn");
        return g;
    }

    private static int[] Shape(System.Text.Json.JsonElement j, int input) =>
        j.GetProperty("inputs")[input].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public void Run_DimByPosition_FillsUnnamedDims()
    {
        var model = h.Save(Unnamed(), "u.onnx");
        var r = CliHarness.Run("run", model, "--random", "--dim", "0:1,1:512", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal([1, 512], Shape(r.Json(), 0));
        Assert.Equal([1], Shape(r.Json(), 1));  // position 0 applies to every input
    }

    [Fact]
    public void Run_DimByInputAndPosition_OnlyThatInput()
    {
        var model = h.Save(Unnamed(), "u.onnx");
        var r = CliHarness.Run("run", model, "--random", "--dim", "1:16", "--dim", "n:0:3", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal([1, 16], Shape(r.Json(), 0));
        Assert.Equal([3], Shape(r.Json(), 1));
    }

    [Fact]
    public void Run_DimNameOnUnnamedDims_SuggestsPositions()
        => AssertError(CliHarness.Run("run", h.Save(Unnamed(), "u.onnx"), "--random", "--dim", "batch=1"), 2,
            "--dim batch=1", "their dynamic dims are unnamed", "--dim 0:1,1:512");

    [Fact]
    public void Run_DimPositionWithoutDynamicDim_Error()
        => AssertError(CliHarness.Run("run", h.Save(Unnamed(), "u.onnx"), "--random", "--dim", "2:5"), 2,
            "--dim 2:5", "no input has a dynamic dimension at position 2");
}
