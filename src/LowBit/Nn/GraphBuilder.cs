using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Nn;

/// <summary>
/// Emits a <see cref="Graph.Graph"/> node by node (DESIGN.md §1: a model built in C# is the same IR as an imported one).
/// Names are readable and unique: <see cref="Scope"/> pushes a dotted prefix, so a conv inside scopes "stage1", "block0"
/// named "conv1" becomes node and value <c>stage1.block0.conv1</c> with weight <c>stage1.block0.conv1.weight</c>;
/// a repeated name gets a suffix <c>_1</c>, <c>_2</c>, ....
/// Trainable tensors are initializers with seeded initialization; non-trainable constants (shapes, Clip bounds, masks,
/// scale factors) are <c>Constant</c> nodes, so <see cref="Graph.Graph.Initializers"/> holds exactly the model's state
/// (trainable weights plus BatchNormalization running statistics).
/// The model targets opset 21 (Gelu needs ≥ 20, LayerNormalization ≥ 17) and IR version 10.
/// </summary>
public sealed partial class GraphBuilder
{
    public const int DefaultOpset = 21;
    public const long IrVersion = 10;
    /// <summary>Name of the symbolic batch dimension of inputs and outputs.</summary>
    public const string BatchDim = "N";

    private readonly Random rng;
    private readonly HashSet<string> used = new(StringComparer.Ordinal);
    private readonly List<string> scopes = new();
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);

    public Graph.Graph Graph { get; }

    public GraphBuilder(string name, int seed = 0)
    {
        Graph = new Graph.Graph { Name = name, Opsets = new() { [""] = DefaultOpset } };
        Graph.Metadata.IrVersion = IrVersion;
        Graph.Metadata.ProducerName = "LowBit";
        rng = new Random(seed);
    }

    /// <summary>Pushes a name prefix until the returned handle is disposed.</summary>
    public IDisposable Scope(string name)
    {
        if (name.Length == 0 || name.Contains('.')) throw new ArgumentException($"scope name '{name}' must be non-empty and contain no '.'");
        scopes.Add(name);
        return new ScopeHandle(this, scopes.Count);
    }

    private sealed class ScopeHandle(GraphBuilder owner, int depth) : IDisposable
    {
        public void Dispose()
        {
            if (owner.scopes.Count != depth) throw new InvalidOperationException("scopes must be disposed in reverse order");
            owner.scopes.RemoveAt(depth - 1);
        }
    }

    /// <summary>The current scope path ("" at top level).</summary>
    public string Prefix => string.Join('.', scopes);

    /// <summary>The current prefix joined with <paramref name="local"/>, made unique in this graph.</summary>
    public string UniqueName(string local) => Reserve(scopes.Count == 0 ? local : Prefix + "." + local);

    private string Reserve(string stem)
    {
        string name = stem;
        for (int k = 1; !used.Add(name); k++) name = $"{stem}_{k}";
        return name;
    }

    /// <summary>Declares a graph input of shape [N, <paramref name="dims"/>...] with the symbolic batch dim N.</summary>
    public string Input(string name, DType dtype, params int[] dims)
    {
        string n = Reserve(name);
        Graph.Inputs.Add(new ValueInfo(n, dtype, BatchShape(dims)));
        return n;
    }

    /// <summary>Declares <paramref name="value"/> as a graph output named <paramref name="name"/> of shape [N, <paramref name="dims"/>...];
    /// the producing node's output is renamed.</summary>
    public string Output(string value, string name, DType dtype, params int[] dims)
    {
        if (name != value)
        {
            name = Reserve(name);
            foreach (var node in Graph.Nodes)
            {
                for (int i = 0; i < node.Outputs.Count; i++) if (node.Outputs[i] == value) node.Outputs[i] = name;
                for (int i = 0; i < node.Inputs.Count; i++) if (node.Inputs[i] == value) node.Inputs[i] = name;
            }
        }
        Graph.Outputs.Add(new ValueInfo(name, dtype, BatchShape(dims)));
        return name;
    }

    private static Dim[] BatchShape(int[] dims) => [Dim.Symbolic(BatchDim), .. dims.Select(d => Dim.Known(d))];

    /// <summary>Adds a node named (and producing a value named) <paramref name="name"/> under the current scope;
    /// returns the output value name.</summary>
    public string Op(string opType, string name, IReadOnlyList<string> inputs, params (string Name, object Value)[] attributes)
    {
        string n = UniqueName(name);
        var node = Graph.Add(opType, inputs.ToArray(), [n], n);
        foreach (var (k, v) in attributes) node.With(k, v);
        return n;
    }

    /// <summary>Adds a trainable initializer <c>{owner}.{suffix}</c> (owner is a full node name or <see cref="Prefix"/>).</summary>
    public string Parameter(string owner, string suffix, Tensor value)
    {
        string n = Reserve(owner.Length == 0 ? suffix : owner + "." + suffix);
        Graph.Initializers[n] = value;
        return n;
    }

    /// <summary>Kaiming/He normal (He et al. 2015): N(0, gain²/fanIn); gain √2 for layers feeding ReLU.</summary>
    public string KaimingNormal(string owner, string suffix, int fanIn, int[] shape, double gain = 1.4142135623730951) =>
        Parameter(owner, suffix, Normal(shape, gain / Math.Sqrt(fanIn), truncate: false));

    /// <summary>Normal(0, std²) truncated to ±2·std by resampling (the usual transformer init, std = 0.02).</summary>
    public string TruncatedNormal(string owner, string suffix, int[] shape, double std = 0.02) =>
        Parameter(owner, suffix, Normal(shape, std, truncate: true));

    public string Zeros(string owner, string suffix, params int[] shape) => Parameter(owner, suffix, Tensor.Zeros(DType.Float32, shape));

    public string Ones(string owner, string suffix, params int[] shape) => Parameter(owner, suffix, Fill(shape, 1f));

    private Tensor Normal(int[] shape, double std, bool truncate)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        var s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++)
        {
            double z;
            do z = StandardNormal(); while (truncate && Math.Abs(z) > 2);
            s[i] = (float)(std * z);
        }
        return t;
    }

    /// <summary>Box–Muller: z = √(−2 ln u₁)·cos(2π u₂), u₁ ∈ (0, 1].</summary>
    private double StandardNormal()
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static Tensor Fill(int[] shape, float v)
    {
        var t = Tensor.Zeros(DType.Float32, shape);
        t.AsSpan<float>().Fill(v);
        return t;
    }

    /// <summary>A <c>Constant</c> node holding <paramref name="value"/>; identical constants (same <paramref name="key"/>) are shared.
    /// Its name is recorded in <see cref="Parameters.FrozenProperty"/> so it stays frozen after an export/import round trip.</summary>
    public string Constant(string key, Tensor value)
    {
        if (constants.TryGetValue(key, out var existing)) return existing;
        string n = Reserve("const." + key);
        Graph.Add("Constant", [], [n], n).With("value", value);
        constants[key] = n;
        Graph.Metadata.Properties[Parameters.FrozenProperty] = string.Join(',', constants.Values);
        return n;
    }

    /// <summary>A float32 scalar (rank 0) constant.</summary>
    public string Scalar(float v) => Constant($"f{v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", Tensor.FromArray(new[] { v }, []));

    /// <summary>A 1-D int64 constant (shapes, axes, slice bounds, perms given as inputs).</summary>
    public string Ints(params long[] values) =>
        Constant("i" + string.Join('_', values).Replace('-', 'm'), Tensor.FromArray((long[])values.Clone(), values.Length));
}
