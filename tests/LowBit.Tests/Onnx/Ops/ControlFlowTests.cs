using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>If, Loop and Scan with subgraphs that read outer-scope values, against ONNX Runtime (bit-exact: the bodies
/// only move elements or add exactly representable floats).</summary>
public class ControlFlowTests
{
    private static Graph.Graph MainGraph(long opset)
    {
        var g = new Graph.Graph { Name = "main" };
        g.Opsets = new Dictionary<string, long> { [""] = opset };
        g.Metadata.IrVersion = 8;
        return g;
    }

    private static Graph.Graph Body(Graph.Graph parent, string name)
    {
        var b = new Graph.Graph { Name = name };
        b.Opsets = parent.Opsets;
        return b;
    }

    /// <summary>main: t = Transpose(x); y = If(cond) { then: Concat(Reshape(t), Reshape(t)), else: Reshape(Tile(t)) };
    /// z = Transpose(t) after the If. Both branches read t (outer scope) through views.</summary>
    private static Graph.Graph IfGraph()
    {
        var g = MainGraph(16);
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 3));
        g.Inputs.Add(ValueInfo.Of("cond", DType.Bool));
        g.Add("Transpose", ["x"], ["t"]);
        var then = Body(g, "then");
        then.Initializers["flat"] = Longs(6);
        then.Add("Reshape", ["t", "flat"], ["ta"]);
        then.Add("Reshape", ["t", "flat"], ["tb"]);
        then.Add("Concat", ["ta", "tb"], ["then_out"]).With("axis", 0L);
        then.Outputs.Add(ValueInfo.Of("then_out", DType.Float32, 12));
        var els = Body(g, "else");
        els.Initializers["reps"] = Longs(2, 1);
        els.Initializers["flat12"] = Longs(12);
        els.Add("Tile", ["t", "reps"], ["tiled"]);
        els.Add("Reshape", ["tiled", "flat12"], ["else_out"]);
        els.Outputs.Add(ValueInfo.Of("else_out", DType.Float32, 12));
        g.Add("If", ["cond"], ["y"]).With("then_branch", then).With("else_branch", els);
        g.Add("Transpose", ["t"], ["z"]);
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, 12));
        g.Outputs.Add(ValueInfo.Of("z", DType.Float32, 2, 3));
        return g;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void If_OuterScopeReferences_MatchOnnxRuntime(bool cond)
    {
        var feeds = new Dictionary<string, Tensor> { ["x"] = Iota(2, 3), ["cond"] = Tensor.Scalar(cond) };
        var r = CheckGraph(IfGraph(), feeds, 0, "If");
        // The value read through views inside the branch must survive the branch (no buffer recycled under it).
        Assert.Equal(Iota(2, 3).ToFloatArray(), r[1].ToFloatArray());
    }

    [Fact]
    public void If_RepeatedRuns_KeepOuterValuesIntact()
    {
        var session = new Session(IfGraph(), new SessionOptions(threads: 1));
        for (int i = 0; i < 3; i++)
        {
            var r = session.Run(new Dictionary<string, Tensor> { ["x"] = Iota(2, 3), ["cond"] = Tensor.Scalar(i % 2 == 0) });
            Assert.Equal(Iota(2, 3).ToFloatArray(), r["z"].ToFloatArray());
        }
    }

    /// <summary>Loop: y_out = y_in + step (outer), scan = Reshape(y_out) view, cond_out = cond_in. M = trips.</summary>
    private static Graph.Graph LoopGraph(bool withM, bool withCond)
    {
        var g = MainGraph(13);
        g.Inputs.Add(ValueInfo.Of("y0", DType.Float32, 2));
        g.Inputs.Add(ValueInfo.Of("step", DType.Float32, 2));
        g.Initializers["M"] = Tensor.Scalar(4L);
        g.Initializers["c"] = Tensor.Scalar(true);
        var body = Body(g, "body");
        body.Inputs.Add(ValueInfo.Of("i", DType.Int64));
        body.Inputs.Add(ValueInfo.Of("cond_in", DType.Bool));
        body.Inputs.Add(ValueInfo.Of("y_in", DType.Float32, 2));
        body.Initializers["shape"] = Longs(1, 2);
        body.Initializers["limit"] = Tensor.Scalar(2L);
        body.Add("Add", ["y_in", "step"], ["y_out"]);
        body.Add("Reshape", ["y_out", "shape"], ["scan"]);
        if (withM) body.Add("Identity", ["cond_in"], ["cond_out"]);
        else body.Add("Less", ["i", "limit"], ["cond_out"]);
        body.Outputs.Add(ValueInfo.Of("cond_out", DType.Bool));
        body.Outputs.Add(ValueInfo.Of("y_out", DType.Float32, 2));
        body.Outputs.Add(ValueInfo.Of("scan", DType.Float32, 1, 2));
        g.Add("Loop", [withM ? "M" : "", withCond ? "c" : "", "y0"], ["y_final", "scans"]).With("body", body);
        g.Outputs.Add(ValueInfo.Of("y_final", DType.Float32, 2));
        g.Outputs.Add(new ValueInfo("scans", DType.Float32, null));
        return g;
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Loop_TripCountConditionAndScanOutputs_MatchOnnxRuntime(bool withM, bool withCond)
    {
        var feeds = new Dictionary<string, Tensor> { ["y0"] = Floats([2], 1, -1), ["step"] = Floats([2], 0.5f, 2) };
        var r = CheckGraph(LoopGraph(withM, withCond), feeds, 0, "Loop");
        Assert.Equal(withM ? 4 : 3, r[1].Shape[0]);
        Assert.Equal(new[] { r[1].Shape[0], 1, 2 }, r[1].Shape);
    }

    [Fact]
    public void Loop_ZeroTrips_ReturnsInitialValuesAndEmptyScan()
    {
        var g = LoopGraph(true, true);
        g.Initializers["M"] = Tensor.Scalar(0L);
        var r = new Session(g).Run(new Dictionary<string, Tensor> { ["y0"] = Floats([2], 1, -1), ["step"] = Floats([2], 0.5f, 2) });
        Assert.Equal(new[] { 1f, -1f }, r["y_final"].ToFloatArray());
        Assert.Equal(new[] { 0, 1, 2 }, r["scans"].Shape);
    }

    [Fact]
    public void Loop_NoTripCountNoCondition_IsRefused()
    {
        var g = LoopGraph(false, false);
        var e = Assert.Throws<LowBitException>(() => new Session(g).Run(new Dictionary<string, Tensor> { ["y0"] = Floats([2], 1, -1), ["step"] = Floats([2], 0.5f, 2) }));
        Assert.Contains("never end", e.Message);
    }

    /// <summary>Scan-9: state s, scan input x [2, T, 3] along axis 1 in reverse; outputs s + x_t stacked along axis 1
    /// (prepended) and the transposed slice along axis 0.</summary>
    [Fact]
    public void Scan_AxesAndDirections_MatchOnnxRuntime()
    {
        var g = MainGraph(16);
        g.Inputs.Add(ValueInfo.Of("s0", DType.Float32, 2, 3));
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 4, 3));
        var body = Body(g, "scan_body");
        body.Inputs.Add(ValueInfo.Of("s_in", DType.Float32, 2, 3));
        body.Inputs.Add(ValueInfo.Of("x_t", DType.Float32, 2, 3));
        body.Add("Add", ["s_in", "x_t"], ["s_out"]);
        body.Add("Identity", ["s_out"], ["y"]);
        body.Add("Transpose", ["x_t"], ["xt"]);
        body.Outputs.Add(ValueInfo.Of("s_out", DType.Float32, 2, 3));
        body.Outputs.Add(ValueInfo.Of("y", DType.Float32, 2, 3));
        body.Outputs.Add(ValueInfo.Of("xt", DType.Float32, 3, 2));
        g.Add("Scan", ["s0", "x"], ["s_final", "ys", "xts"]).With("body", body).With("num_scan_inputs", 1L)
            .With("scan_input_axes", new long[] { 1 }).With("scan_input_directions", new long[] { 1 })
            .With("scan_output_axes", new long[] { 1, -1 }).With("scan_output_directions", new long[] { 1, 0 });
        g.Outputs.Add(ValueInfo.Of("s_final", DType.Float32, 2, 3));
        g.Outputs.Add(new ValueInfo("ys", DType.Float32, null));
        g.Outputs.Add(new ValueInfo("xts", DType.Float32, null));
        var feeds = new Dictionary<string, Tensor> { ["s0"] = Iota(2, 3), ["x"] = Iota(2, 4, 3) };
        var r = CheckGraph(g, feeds, 0, "Scan");
        Assert.Equal(new[] { 2, 4, 3 }, r[1].Shape);
        Assert.Equal(new[] { 3, 2, 4 }, r[2].Shape);
    }

    /// <summary>Scan-8: batch axis first, sequence_lens shorter than the scan length for one item.</summary>
    [Fact]
    public void ScanV8_BatchAndSequenceLens_MatchOnnxRuntime()
    {
        var g = MainGraph(8);
        g.Inputs.Add(ValueInfo.Of("s0", DType.Float32, 2, 3));
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 4, 3));
        g.Initializers["lens"] = Longs(4, 2);
        var body = Body(g, "scan_body");
        body.Inputs.Add(ValueInfo.Of("s_in", DType.Float32, 3));
        body.Inputs.Add(ValueInfo.Of("x_t", DType.Float32, 3));
        body.Add("Add", ["s_in", "x_t"], ["s_out"]);
        body.Add("Identity", ["s_out"], ["y"]);
        body.Outputs.Add(ValueInfo.Of("s_out", DType.Float32, 3));
        body.Outputs.Add(ValueInfo.Of("y", DType.Float32, 3));
        g.Add("Scan", ["lens", "s0", "x"], ["s_final", "ys"]).With("body", body).With("num_scan_inputs", 1L);
        g.Outputs.Add(ValueInfo.Of("s_final", DType.Float32, 2, 3));
        g.Outputs.Add(ValueInfo.Of("ys", DType.Float32, 2, 4, 3));
        var feeds = new Dictionary<string, Tensor> { ["s0"] = Iota(2, 3), ["x"] = Iota(2, 4, 3) };
        CheckGraph(g, feeds, 0, "Scan-8");
    }
}
