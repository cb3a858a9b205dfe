using System.Security.Cryptography;
using System.Text;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// SHA-256 of what determines a model's computation: opsets, inputs, outputs, nodes (type, domain, name, inputs,
/// outputs, attributes in name order, subgraphs recursively) and initializers in name order (name, type, shape, bytes).
/// Streams the weights (no serialized copy, so models over 2 GB hash too); independent of file layout and metadata.
/// Keys calibration caches and ties a manifest to the float model it was made from.
/// </summary>
internal static class ModelHash
{
    public static string Compute(Graph.Graph g)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(h, g);
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    private static void Append(IncrementalHash h, Graph.Graph g)
    {
        void Text(string s) => h.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        foreach (var (d, v) in g.Opsets.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Text($"opset {d} {v}");
        foreach (var v in g.Inputs) Text($"in {v.Name} {v.DType} {v.ShapeString}");
        foreach (var v in g.Outputs) Text($"out {v.Name}");
        foreach (var n in g.Nodes)
        {
            Text($"node {n.Domain}.{n.OpType} {n.Name} ({string.Join(",", n.Inputs)}) -> ({string.Join(",", n.Outputs)})");
            foreach (var (k, a) in n.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                switch (a.Value)
                {
                    case Tensor t: Text($"attr {k}"); AppendTensor(h, t); break;
                    case Graph.Graph sub: Text($"attr {k} graph"); Append(h, sub); break;
                    case Graph.Graph[] subs: Text($"attr {k} graphs"); foreach (var s in subs) Append(h, s); break;
                    case Tensor[] ts: Text($"attr {k} tensors"); foreach (var t in ts) AppendTensor(h, t); break;
                    default: Text(a.ToString()); break;
                }
            }
        }
        foreach (var (name, t) in g.Initializers.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Text($"init {name}");
            AppendTensor(h, t);
        }
    }

    private static void AppendTensor(IncrementalHash h, Tensor t)
    {
        h.AppendData(Encoding.UTF8.GetBytes($"{t.DType} {t.ShapeString}\n"));
        if (t.DType == DType.String)
            foreach (var s in t.AsSpan<string>()) h.AppendData(Encoding.UTF8.GetBytes((s ?? "") + "\0"));
        else h.AppendData(t.RawBytes());
    }
}
