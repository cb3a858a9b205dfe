using LowBit.Tensors;

namespace LowBit.Graph;

public enum AttrType { Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8, Tensors = 9, Graphs = 10, TypeProto = 13, TypeProtos = 14 }

/// <summary>A node attribute. <see cref="Value"/> is float, long, string, Tensor, Graph, or an array of those.</summary>
public sealed record Attr(string Name, AttrType Type, object Value)
{
    public static Attr From(string name, object value) => value switch
    {
        float f => new(name, AttrType.Float, f),
        double d => new(name, AttrType.Float, (float)d),
        long l => new(name, AttrType.Int, l),
        int i => new(name, AttrType.Int, (long)i),
        bool b => new(name, AttrType.Int, b ? 1L : 0L),
        string s => new(name, AttrType.String, s),
        Tensor t => new(name, AttrType.Tensor, t),
        Graph g => new(name, AttrType.Graph, g),
        float[] fs => new(name, AttrType.Floats, fs),
        long[] ls => new(name, AttrType.Ints, ls),
        int[] ints => new(name, AttrType.Ints, ints.Select(x => (long)x).ToArray()),
        string[] ss => new(name, AttrType.Strings, ss),
        Tensor[] ts => new(name, AttrType.Tensors, ts),
        Graph[] gs => new(name, AttrType.Graphs, gs),
        _ => throw new ArgumentException($"attribute {name}: unsupported value type {value.GetType().Name}"),
    };

    public override string ToString() => Value switch
    {
        long[] a => $"{Name}=[{string.Join(",", a)}]",
        float[] a => $"{Name}=[{string.Join(",", a)}]",
        string[] a => $"{Name}=[{string.Join(",", a)}]",
        Graph g => $"{Name}=<graph {g.Name}>",
        _ => $"{Name}={Value}",
    };
}
