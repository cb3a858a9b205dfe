using LowBit.Tensors;

namespace LowBit.Graph;

/// <summary>A dimension: a known size, a symbolic name ("batch"), or unknown (both null).</summary>
public readonly record struct Dim(long? Value, string? Param)
{
    public static Dim Known(long v) => new(v, null);
    public static Dim Symbolic(string p) => new(null, p);
    public static readonly Dim Unknown = new(null, null);
    public override string ToString() => Value?.ToString() ?? Param ?? "?";
}

/// <summary>Declared type and shape of a graph input, output or intermediate. <see cref="Shape"/> null means rank unknown.</summary>
public sealed record ValueInfo(string Name, DType DType, Dim[]? Shape, string DocString = "")
{
    /// <summary>Non-tensor values (sequence, optional, map) are recorded with their ONNX type name; null for tensors.</summary>
    public string? NonTensorType { get; init; }

    public string ShapeString => Shape is null ? "?" : "[" + string.Join(",", Shape.Select(d => d.ToString())) + "]";

    public static ValueInfo Of(string name, DType dtype, params long[] dims) => new(name, dtype, dims.Select(Dim.Known).ToArray());

    /// <summary>True when <paramref name="shape"/> matches every known dim (symbolic/unknown dims match anything).</summary>
    public bool Accepts(int[] shape)
    {
        if (Shape is null) return true;
        if (Shape.Length != shape.Length) return false;
        for (int i = 0; i < shape.Length; i++)
            if (Shape[i].Value is long v && v != shape[i]) return false;
        return true;
    }
}
