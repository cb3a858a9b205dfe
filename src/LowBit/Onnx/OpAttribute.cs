namespace LowBit.Onnx;

/// <summary>
/// Marks a static method as the implementation of an ONNX operator from opset <paramref name="since"/> on (until a
/// method with a higher <c>since</c> for the same op exists). Parameter conventions, bound once per node by <see cref="OpTable"/>:
/// <list type="bullet">
/// <item><c>Tensor</c> parameters are inputs in order; a default of <c>null</c> makes one optional; a final
///   <c>params Tensor[]</c> takes the remaining (variadic) inputs.</item>
/// <item>every other parameter (or one marked <see cref="AttrAttribute"/>) is the attribute of the same name, with the
///   C# default as the spec default; no default means required.</item>
/// <item>an <see cref="OpContext"/> parameter receives the node's context (opset, wanted outputs, subgraph runner).</item>
/// <item>returns <c>Tensor</c> for one output or <c>Tensor?[]</c> for several (null where an output is not produced).</item>
/// </list>
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class OpAttribute(string opType, int since = 1, string domain = "") : Attribute
{
    public string OpType { get; } = opType;
    public int Since { get; } = since;
    public string Domain { get; } = domain;
}

/// <summary>Marks a parameter as an ONNX attribute (needed for Tensor- or Graph-typed attributes, or to rename).</summary>
[AttributeUsage(AttributeTargets.Parameter)]
internal sealed class AttrAttribute(string? name = null) : Attribute
{
    public string? Name { get; } = name;
}
