using System.Reflection;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Onnx;

/// <summary>
/// Registry of operator implementations keyed by (domain, op type, since-version), discovered from <see cref="OpAttribute"/>.
/// For a model opset v, the implementation with the largest since ≤ v is used.
/// </summary>
internal static class OpTable
{
    private static readonly Dictionary<(string Domain, string OpType), List<(int Since, MethodInfo Method)>> table = Build();

    private static Dictionary<(string, string), List<(int, MethodInfo)>> Build()
    {
        var d = new Dictionary<(string, string), List<(int, MethodInfo)>>();
        foreach (var type in typeof(OpTable).Assembly.GetTypes())
            foreach (var m in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                foreach (var a in m.GetCustomAttributes<OpAttribute>())
                {
                    var key = (a.Domain, a.OpType);
                    if (!d.TryGetValue(key, out var list)) d[key] = list = new();
                    list.Add((a.Since, m));
                }
        foreach (var list in d.Values) list.Sort((x, y) => x.Item1.CompareTo(y.Item1));
        return d;
    }

    /// <summary>All registered (domain, op type) pairs with their since-versions, for coverage docs.</summary>
    public static IEnumerable<(string Domain, string OpType, int[] Versions)> Registered() =>
        table.Select(kv => (kv.Key.Domain, kv.Key.OpType, kv.Value.Select(v => v.Since).ToArray()));

    public static MethodInfo? Find(string domain, string opType, long opset)
    {
        if (domain == "ai.onnx") domain = "";
        if (!table.TryGetValue((domain, opType), out var list)) return null;
        MethodInfo? best = null;
        foreach (var (since, m) in list) if (since <= opset) best = m;
        return best;
    }

    public static bool IsSupported(Node n, Graph.Graph g) => Find(n.Domain, n.OpType, g.OpsetOf(n.Domain)) is not null;

    /// <summary>Binds a node to its implementation: attributes are converted once, inputs are filled per call.</summary>
    public static BoundOp Bind(Node node, long opset)
    {
        var method = Find(node.Domain, node.OpType, opset)
            ?? throw new LowBitException(ErrorKind.UnsupportedOp,
                $"unsupported operator {(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType} (opset {opset}) at node {node.DisplayName}");
        return new BoundOp(node, method, opset);
    }
}

/// <summary>A node bound to its implementing method, with attribute arguments prepared.</summary>
internal sealed class BoundOp
{
    private enum Slot { Input, OptionalInput, Variadic, Attribute, Context }

    private readonly MethodInfo method;
    private readonly Slot[] slots;
    private readonly object?[] template;
    public Node Node { get; }
    public long Opset { get; }

    public BoundOp(Node node, MethodInfo method, long opset)
    {
        Node = node;
        Opset = opset;
        this.method = method;
        var ps = method.GetParameters();
        slots = new Slot[ps.Length];
        template = new object?[ps.Length];
        var used = new HashSet<string>();
        for (int i = 0; i < ps.Length; i++)
        {
            var p = ps[i];
            var attr = p.GetCustomAttribute<AttrAttribute>();
            if (typeof(OpContext).IsAssignableFrom(p.ParameterType)) { slots[i] = Slot.Context; continue; }
            if (attr is null && p.ParameterType == typeof(Tensor))
            {
                slots[i] = p.HasDefaultValue ? Slot.OptionalInput : Slot.Input;
                continue;
            }
            if (attr is null && p.ParameterType == typeof(Tensor[]) && p.IsDefined(typeof(ParamArrayAttribute))) { slots[i] = Slot.Variadic; continue; }
            slots[i] = Slot.Attribute;
            string name = attr?.Name ?? p.Name!;
            used.Add(name);
            if (node.Attributes.TryGetValue(name, out var a)) template[i] = Convert(a, p.ParameterType, node);
            else if (p.HasDefaultValue) template[i] = p.DefaultValue;
            else throw new LowBitException(ErrorKind.InvalidModel, $"node {node.DisplayName} ({node.OpType}): missing required attribute '{name}'");
        }
    }

    private static object Convert(Attr a, Type target, Node node)
    {
        var t = Nullable.GetUnderlyingType(target) ?? target;
        object v = a.Value;
        try
        {
            if (t == typeof(long)) return System.Convert.ToInt64(v);
            if (t == typeof(int)) return checked((int)System.Convert.ToInt64(v));
            if (t == typeof(float)) return v is long l ? l : System.Convert.ToSingle(v);
            if (t == typeof(bool)) return System.Convert.ToInt64(v) != 0;
            if (t == typeof(string)) return (string)v;
            if (t == typeof(long[])) return v is long[] ls ? ls : new[] { System.Convert.ToInt64(v) };
            if (t == typeof(int[])) return (v is long[] li ? li : new[] { System.Convert.ToInt64(v) }).Select(x => checked((int)x)).ToArray();
            if (t == typeof(float[])) return v is float[] fs ? fs : new[] { System.Convert.ToSingle(v) };
            if (t == typeof(string[])) return v is string[] ss ? ss : new[] { (string)v };
            if (t == typeof(Tensor) || t == typeof(Graph.Graph) || t == typeof(Tensor[]) || t == typeof(Graph.Graph[])) return v;
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
        }
        throw new LowBitException(ErrorKind.InvalidModel, $"node {node.DisplayName} ({node.OpType}): attribute '{a.Name}' has type {a.Type}, expected {t.Name}");
    }

    /// <summary>Runs the op. <paramref name="inputs"/> has one entry per node input (null = omitted).</summary>
    public Tensor?[] Invoke(OpContext context, Tensor?[] inputs)
    {
        var args = (object?[])template.Clone();
        int next = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            switch (slots[i])
            {
                case Slot.Input:
                    if (next >= inputs.Length || inputs[next] is null)
                        throw context.Error($"required input {next} is missing");
                    args[i] = inputs[next++];
                    break;
                case Slot.OptionalInput:
                    args[i] = next < inputs.Length ? inputs[next] : null;
                    next++;
                    break;
                case Slot.Variadic:
                    args[i] = next < inputs.Length ? inputs[next..] : Array.Empty<Tensor>();
                    next = inputs.Length;
                    break;
                case Slot.Context:
                    args[i] = context;
                    break;
            }
        }
        object? result;
        try
        {
            result = method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, args, null);
        }
        catch (LowBitException) { throw; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or OverflowException or InvalidCastException or DivideByZeroException)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"node {Node.DisplayName} ({Node.OpType}): {e.Message}", e);
        }
        return result switch
        {
            Tensor t => new Tensor?[] { t },
            Tensor?[] ts => ts,
            _ => throw context.Error("implementation returned no tensor"),
        };
    }
}
