using LowBit.Graph;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>One input of a single-node test graph: a graph input (fed at run time), an initializer, or omitted (null).</summary>
public sealed record NodeInput(string Name, Tensor? Value, bool Feed = false)
{
    public static NodeInput Fed(string name, Tensor t) => new(name, t, true);
    public static NodeInput Const(string name, Tensor t) => new(name, t);
    public static NodeInput? Omitted => null;
}

/// <summary>
/// Builds one-node graphs and runs them both in LowBit's <see cref="Session"/> and in ONNX Runtime (the oracle). The
/// graph is IR 10 with the given default-domain opset (com.microsoft opset 1 for contrib ops).
/// ONNX Runtime's .NET API (1.31) cannot describe graph inputs or outputs of int4/uint4/float8/float4 type (it fails
/// with "Unregistered TensorElementType"), so such tensors must be initializers, and such outputs are followed by a
/// DequantizeLinear with scale 1 (exact: every int4 and float8 value is a float32) whose float output is compared.
/// </summary>
public static class OrtParity
{
    public static Graph.Graph OneNode(string op, long opset, NodeInput?[] inputs, DType[] outputTypes, string domain = "",
        params (string Name, object Value)[] attrs)
    {
        var g = new Graph.Graph { Name = op.ToLowerInvariant() };
        g.Opsets = new Dictionary<string, long> { [""] = opset };
        if (domain.Length > 0) g.Opsets[domain] = 1;
        g.Metadata.IrVersion = 10;
        var names = new List<string>();
        foreach (var i in inputs)
        {
            if (i is null || i.Value is null) { names.Add(""); continue; }
            names.Add(i.Name);
            if (i.Feed) g.Inputs.Add(new ValueInfo(i.Name, i.Value.DType, i.Value.Shape.Select(d => Dim.Known(d)).ToArray()));
            else g.Initializers[i.Name] = i.Value;
        }
        var outs = outputTypes.Select((t, k) => $"y{k}").ToArray();
        var n = g.Add(op, names.ToArray(), outs, op.ToLowerInvariant(), domain);
        foreach (var (name, value) in attrs) n.With(name, value);
        for (int k = 0; k < outs.Length; k++)
        {
            if (!NeedsDequantize(outputTypes[k]))
            {
                g.Outputs.Add(new ValueInfo(outs[k], outputTypes[k], null));
                continue;
            }
            g.Initializers["one"] = Tensor.Scalar(1f);
            g.Add("DequantizeLinear", [outs[k], "one"], [outs[k] + "_f"], $"dq{k}");
            g.Outputs.Add(new ValueInfo(outs[k] + "_f", DType.Float32, null));
        }
        return g;
    }

    public static bool NeedsDequantize(DType t) => t.IsPacked4() || t is DType.Float8E4M3FN or DType.Float8E4M3FNUZ
        or DType.Float8E5M2 or DType.Float8E5M2FNUZ;

    public static Dictionary<string, Tensor> Feeds(NodeInput?[] inputs) =>
        inputs.Where(i => i is { Feed: true, Value: not null }).ToDictionary(i => i!.Name, i => i!.Value!);

    /// <summary>Runs the graph in LowBit (2 threads, so the parallel paths run) and in ONNX Runtime.</summary>
    public static (Tensor[] Ours, Tensor[] Ort) Run(Graph.Graph g, Dictionary<string, Tensor> feeds)
    {
        var ours = new Session(g, new SessionOptions(threads: 2)).Run(feeds);
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var theirs = ort.Run(feeds);
        var names = g.Outputs.Select(o => o.Name).ToArray();
        return (names.Select(n => ours[n]).ToArray(), names.Select(n => theirs[n]).ToArray());
    }

    /// <summary>Builds, runs both ways and asserts every output is bit-identical (exact integers, exact floats).</summary>
    public static Tensor[] AssertIdentical(string op, long opset, NodeInput?[] inputs, DType[] outputTypes, string domain = "",
        params (string Name, object Value)[] attrs)
    {
        var g = OneNode(op, opset, inputs, outputTypes, domain, attrs);
        var (ours, ort) = Run(g, Feeds(inputs));
        for (int i = 0; i < ours.Length; i++) AssertBits(ort[i], ours[i], $"{op} output {i}");
        return ours;
    }

    /// <summary>Same dtype, shape and storage bytes (so −0 and packed nibbles must agree too); any two NaNs are equal.</summary>
    public static void AssertBits(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.DType == actual.DType, $"{what}: dtype {actual.DType.Name()} != expected {expected.DType.Name()}");
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString} != expected {expected.ShapeString}");
        if (expected.DType == DType.String)
        {
            Assert.Equal(expected.AsSpan<string>().ToArray(), actual.AsSpan<string>().ToArray());
            return;
        }
        if (expected.DType is DType.Float32 or DType.Float16)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                double e1 = expected.GetDouble(i), a1 = actual.GetDouble(i);
                bool same = double.IsNaN(e1) ? double.IsNaN(a1) : e1 == a1 && double.IsNegative(e1) == double.IsNegative(a1);
                Assert.True(same, $"{what}: element {i} is {a1}, ONNX Runtime gives {e1}");
            }
            return;
        }
        var e = expected.RawBytes();
        var a = actual.RawBytes();
        int size = expected.DType.StorageElementSize();
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i])
            {
                int elem = expected.DType.IsPacked4() ? i * 2 : i / size;
                Assert.Fail($"{what}: element {elem} is {actual.GetDouble(elem)}, ONNX Runtime gives {expected.GetDouble(elem)}");
            }
    }
}

/// <summary>Seeded random tensors for parity tests.</summary>
public static class RandomTensors
{
    public static Tensor Floats(Random r, float lo, float hi, params int[] shape)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = lo + (float)r.NextDouble() * (hi - lo);
        return t;
    }

    /// <summary>Integers uniform in [lo, hi] stored as <paramref name="dtype"/> (any integer or packed 4-bit type).</summary>
    public static Tensor Ints(Random r, DType dtype, int lo, int hi, params int[] shape)
    {
        var t = Tensor.Zeros(dtype, shape);
        for (int i = 0; i < t.Length; i++)
        {
            int v = r.Next(lo, hi + 1);
            if (dtype.IsPacked4()) Int4Packing.Set((byte[])t.Data, i, v);
            else t.SetDouble(i, v);
        }
        return t;
    }

    public static Tensor Of(DType dtype, int[] shape, params double[] values)
    {
        var t = Tensor.Zeros(dtype, shape);
        for (int i = 0; i < values.Length; i++)
        {
            if (dtype.IsPacked4()) Int4Packing.Set((byte[])t.Data, i, (int)values[i]);
            else t.SetDouble(i, values[i]);
        }
        return t;
    }

    public static Tensor Scalar(DType dtype, double v) => Of(dtype, [], v);

    /// <summary>A float16 copy (round to nearest even).</summary>
    public static Tensor ToFloat16(this Tensor t)
    {
        var h = Tensor.Zeros(DType.Float16, t.Shape);
        for (int i = 0; i < t.Length; i++) h.SetDouble(i, (float)t.GetDouble(i));
        return h;
    }
}
