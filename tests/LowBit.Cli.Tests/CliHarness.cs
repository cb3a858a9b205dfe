using System.Text.Json;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Cli.Tests;

/// <summary>What one in-process invocation of the real entry point produced.</summary>
public sealed record CliResult(int Code, string Out, string Err)
{
    /// <summary>stdout parsed as exactly one JSON value (JsonDocument rejects trailing content).</summary>
    public JsonElement Json()
    {
        using var doc = JsonDocument.Parse(Out);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        return doc.RootElement.Clone();
    }

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs <c>lowbit</c> in-process with captured stdout/stderr, and builds small models in a temp folder.</summary>
public sealed class CliHarness : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("lowbit-cli-").FullName;

    public static CliResult Run(params string[] args) => RunWith(CancellationToken.None, args);

    public static CliResult RunWith(CancellationToken token, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e, token);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    public string PathOf(string name) => Path.Combine(Dir, name);

    public string Save(Graph.Graph g, string name)
    {
        string path = PathOf(name);
        OnnxExporter.Save(g, path);
        return path;
    }

    public string SaveNpy(string name, Tensor t)
    {
        string path = PathOf(name);
        Data.Npy.Write(path, t);
        return path;
    }

    /// <summary>x float32 [batch,3] → Identity → y. Works whatever other ops are registered.</summary>
    public static Graph.Graph IdentityModel()
    {
        var g = new Graph.Graph { Name = "identity" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, new[] { Dim.Symbolic("batch"), Dim.Known(3) }));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, new[] { Dim.Symbolic("batch"), Dim.Known(3) }));
        g.Add("Identity", ["x"], ["y"], "id0");
        return g;
    }

    /// <summary>y = x·W + b with x [batch,16], W [16,8], b [8] (seeded weights): MatMul and Add with real arithmetic.</summary>
    public static Graph.Graph DenseModel()
    {
        var rng = new Random(42);
        var g = new Graph.Graph { Name = "dense" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, new[] { Dim.Symbolic("batch"), Dim.Known(16) }));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, new[] { Dim.Symbolic("batch"), Dim.Known(8) }));
        g.Initializers["W"] = Tensor.FromArray(Enumerable.Range(0, 128).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 16, 8);
        g.Initializers["b"] = Tensor.FromArray(Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble()).ToArray(), 8);
        g.Add("MatMul", ["x", "W"], ["xw"], "matmul");
        g.Add("Add", ["xw", "b"], ["y"], "bias");
        return g;
    }

    /// <summary>Two float inputs with fixed shapes; outputs with names that are not file-system safe.</summary>
    public static Graph.Graph TwoInputModel()
    {
        var g = new Graph.Graph { Name = "two" };
        g.Inputs.Add(ValueInfo.Of("a", DType.Float32, 2, 2));
        g.Inputs.Add(ValueInfo.Of("b", DType.Int64, 4));
        g.Outputs.Add(ValueInfo.Of("out/a:0", DType.Float32, 2, 2));
        g.Outputs.Add(ValueInfo.Of("../b", DType.Int64, 4));
        g.Add("Identity", ["a"], ["out/a:0"], "ida");
        g.Add("Identity", ["b"], ["../b"], "idb");
        return g;
    }

    /// <summary>Identity plus operators nobody implements, one of them used twice.</summary>
    public static Graph.Graph UnsupportedModel()
    {
        var g = IdentityModel();
        g.Outputs.Clear();
        g.Outputs.Add(new ValueInfo("z", DType.Float32, new[] { Dim.Symbolic("batch"), Dim.Known(3) }));
        g.Add("NotARealOp", ["y"], ["u1"], "fake1");
        g.Add("NotARealOp", ["u1"], ["u2"], "fake2");
        g.Add("Frobnicate", ["u2"], ["z"], "frob", "com.example");
        g.Opsets["com.example"] = 1;
        return g;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
