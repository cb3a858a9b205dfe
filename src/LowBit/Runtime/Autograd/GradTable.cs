using System.Reflection;
using LowBit.Graph;
using LowBit.Onnx;

namespace LowBit.Runtime.Autograd;

/// <summary>Registry of backward functions keyed like <see cref="OpTable"/> (domain, op type, since-version).</summary>
internal static class GradTable
{
    private static readonly Dictionary<(string, string), List<(int Since, MethodInfo Method)>> table = Build();

    private static Dictionary<(string, string), List<(int, MethodInfo)>> Build()
    {
        var d = new Dictionary<(string, string), List<(int, MethodInfo)>>();
        foreach (var type in typeof(GradTable).Assembly.GetTypes())
            foreach (var m in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                foreach (var a in m.GetCustomAttributes<GradAttribute>())
                {
                    if (!d.TryGetValue((a.Domain, a.OpType), out var list)) d[(a.Domain, a.OpType)] = list = new();
                    list.Add((a.Since, m));
                }
        foreach (var list in d.Values) list.Sort((x, y) => x.Item1.CompareTo(y.Item1));
        return d;
    }

    public static IEnumerable<string> Registered() => table.Keys.Select(k => k.Item2);

    public static bool Has(Node n, long opset) => Find(n, opset) is not null;

    private static MethodInfo? Find(Node n, long opset)
    {
        if (!table.TryGetValue((n.Domain, n.OpType), out var list)) return null;
        MethodInfo? best = null;
        foreach (var (since, m) in list) if (since <= opset) best = m;
        return best;
    }

    public static BoundOp Bind(Node n, long opset) =>
        new(n, Find(n, opset) ?? throw new LowBitException(ErrorKind.UnsupportedOp,
            $"no gradient for operator {n.OpType} (opset {opset}) at node {n.DisplayName}; training supports: {string.Join(", ", Registered().Order())}"), opset);
}
