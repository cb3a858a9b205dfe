using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>A one-node model: <see cref="Key"/>'s node (plus a Relu or Clip that alone consumes its output, which engines
/// fuse into it), its initializers, and the activation inputs it saw on one sample.</summary>
internal sealed record NodeModel(string Key, Graph.Graph Model, IReadOnlyDictionary<string, Tensor> Inputs);

/// <summary>
/// Cuts weighted nodes out of a prepared graph as standalone models, so each layer can be timed alone at each format
/// (<see cref="LatencyTable"/>): quantizing a one-node model with a format's config gives the same Q/DQ pattern around
/// that node as in the whole quantized model, and a deployment engine runs it with the same kernel.
/// </summary>
internal static class NodeModels
{
    private static readonly HashSet<string> Fused = new(StringComparer.Ordinal) { "Relu", "Clip" };

    /// <param name="keys">Node keys (<see cref="Node.DisplayName"/>) of the nodes wanted; each must be in <paramref name="prepared"/>.</param>
    public static IReadOnlyList<NodeModel> Of(Graph.Graph prepared, IReadOnlyDictionary<string, Tensor> sample, IReadOnlyCollection<string> keys, int threads)
    {
        var nodes = prepared.Nodes.Where(n => keys.Contains(n.DisplayName)).ToList();
        var missing = keys.Except(nodes.Select(n => n.DisplayName)).ToList();
        if (missing.Count > 0) throw new LowBitException(ErrorKind.Usage, $"no node named '{missing[0]}' in the prepared model");
        bool IsValue(string name) => name.Length > 0 && !prepared.Initializers.ContainsKey(name);
        var wanted = nodes.SelectMany(n => n.Inputs.Where(IsValue)).Distinct().ToList();
        var values = new Session(prepared, new SessionOptions { Threads = threads }).Run(sample, wanted);
        var consumers = prepared.Consumers();
        var outputs = prepared.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        return nodes.Select(n =>
        {
            var chain = new List<Node> { n };
            if (n.Outputs.Count == 1 && !outputs.Contains(n.Outputs[0]) && consumers.TryGetValue(n.Outputs[0], out var c) && c.Count == 1
                && Fused.Contains(c[0].OpType) && c[0].Inputs.Skip(1).All(i => i.Length == 0 || prepared.Initializers.ContainsKey(i)))
                chain.Add(c[0]);
            var g = new Graph.Graph { Name = n.DisplayName, Opsets = new(prepared.Opsets) };
            g.Metadata.IrVersion = prepared.Metadata.IrVersion;
            var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var node in chain)
            {
                foreach (var i in node.Inputs)
                {
                    if (i.Length == 0 || inputs.ContainsKey(i) || g.Initializers.ContainsKey(i) || chain.Any(m => m.Outputs.Contains(i))) continue;
                    if (prepared.Initializers.TryGetValue(i, out var init)) g.Initializers[i] = init;
                    else
                    {
                        var v = values[i];
                        inputs[i] = v;
                        g.Inputs.Add(new ValueInfo(i, v.DType, v.Shape.Select(d => Dim.Known(d)).ToArray()));
                    }
                }
                var copy = new Node(node.OpType, node.Inputs, node.Outputs, node.Name, node.Domain);
                foreach (var (k, a) in node.Attributes) copy.Attributes[k] = a;
                g.Nodes.Add(copy);
            }
            g.Outputs.Add(new ValueInfo(chain[^1].Outputs[0], DType.Float32, null));
            return new NodeModel(n.DisplayName, g, inputs);
        }).ToList();
    }

    /// <summary>
    /// The interior of a quantized one-node model, as the node runs inside a chain of quantized layers: a QuantizeLinear
    /// reading a graph input becomes the input (its integer output is fed, computed here), and a DequantizeLinear writing
    /// a graph output is dropped (its integer input is the output), and a float output of a model whose inputs are
    /// quantized gets the QuantizeLinear its next quantized layer would read (min/max range of this sample's output, the
    /// input's integer type), so that the engine fuses DQ → op → Q into one integer kernel as in the whole model. Without
    /// this, each layer's time would include the Q and DQ at its edges, which a quantized model pays only where float and
    /// quantized layers meet.
    /// </summary>
    public static (Graph.Graph Model, IReadOnlyDictionary<string, Tensor> Inputs) Interior(Graph.Graph quantized, IReadOnlyDictionary<string, Tensor> inputs, int threads)
    {
        var g = quantized;
        var graphInputs = g.RealInputs.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = g.Consumers();
        var edgeQ = g.Nodes.Where(n => n.OpType == "QuantizeLinear" && graphInputs.Contains(n.Inputs[0])
            && consumers[n.Inputs[0]].Count == 1 && n.Inputs.Skip(1).All(i => i.Length == 0 || g.Initializers.ContainsKey(i))).ToList();
        var graphOutputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var edgeDq = g.Nodes.Where(n => n.OpType == "DequantizeLinear" && graphOutputs.Contains(n.Outputs[0])).ToList();
        if (edgeQ.Count == 0 && edgeDq.Count == 0) return (g, inputs);
        var floatOutputs = edgeQ.Count == 0 ? [] : g.Outputs.Where(o => !edgeDq.Any(d => d.Outputs[0] == o.Name)).Select(o => o.Name).ToList();
        var integer = new Session(g, new SessionOptions { Threads = threads })
            .Run(inputs, edgeQ.Select(q => q.Outputs[0]).Concat(edgeDq.Select(d => d.Inputs[0])).Concat(floatOutputs).Distinct());
        var copy = new Graph.Graph { Name = g.Name, Opsets = new(g.Opsets), Metadata = g.Metadata };
        foreach (var (k, v) in g.Initializers) copy.Initializers[k] = v;
        var fed = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal);
        foreach (var v in g.Inputs)
        {
            var q = edgeQ.FirstOrDefault(n => n.Inputs[0] == v.Name);
            if (q is null) { copy.Inputs.Add(v); continue; }
            var t = integer[q.Outputs[0]];
            copy.Inputs.Add(new ValueInfo(q.Outputs[0], t.DType, t.Shape.Select(d => Dim.Known(d)).ToArray()));
            fed.Remove(v.Name);
            fed[q.Outputs[0]] = t;
        }
        copy.Nodes.AddRange(g.Nodes.Where(n => !edgeQ.Contains(n) && !edgeDq.Contains(n)));
        var zeroType = edgeQ.Count == 0 ? DType.Undefined : g.Initializers[edgeQ[0].Inputs[2]].DType;
        foreach (var o in g.Outputs)
        {
            var dq = edgeDq.FirstOrDefault(n => n.Outputs[0] == o.Name);
            if (dq is not null) copy.Outputs.Add(new ValueInfo(dq.Inputs[0], integer[dq.Inputs[0]].DType, null));
            else if (floatOutputs.Contains(o.Name) && zeroType is DType.UInt8 or DType.Int8)
                copy.Outputs.Add(QuantizeOutput(copy, o.Name, integer[o.Name], zeroType));
            else copy.Outputs.Add(o);
        }
        return (copy, fed);
    }

    /// <summary>Appends QuantizeLinear(value) with the affine min/max range of <paramref name="sample"/> (0 included):
    /// s = (max − min)/(qmax − qmin), z = round(qmin − min/s).</summary>
    private static ValueInfo QuantizeOutput(Graph.Graph g, string value, Tensor sample, DType type)
    {
        var x = sample.ToFloatArray();
        float lo = Math.Min(0, x.Min()), hi = Math.Max(0, x.Max());
        var (qmin, qmax) = type == DType.UInt8 ? (0, 255) : (-128, 127);
        float scale = hi > lo ? (hi - lo) / (qmax - qmin) : 1f;
        int zero = Math.Clamp((int)Math.Round(qmin - lo / scale, MidpointRounding.ToEven), qmin, qmax);
        string name = g.UniqueName(value + "_out_quantized");
        g.Initializers[name + "_scale"] = Tensor.Scalar(scale);
        g.Initializers[name + "_zero_point"] = type == DType.UInt8 ? Tensor.Scalar((byte)zero) : Tensor.Scalar((sbyte)zero);
        g.Add("QuantizeLinear", [value, name + "_scale", name + "_zero_point"], [name], name);
        return new ValueInfo(name, type, null);
    }
}
