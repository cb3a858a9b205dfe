using System.Text.Json.Serialization;
using LowBit.Graph;

namespace LowBit.Reports;

/// <summary>What a measured tensor is in a transformer block.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutlierRole>))]
public enum OutlierRole
{
    /// <summary>The FFN branch's output (fc2 in the zoo), the value added to the residual stream.</summary>
    [JsonStringEnumMemberName("ffn")] Ffn,
    /// <summary>The attention branch's output projection, added to the residual stream.</summary>
    [JsonStringEnumMemberName("attention")] Attention,
    /// <summary>The residual stream after a residual Add.</summary>
    [JsonStringEnumMemberName("residual")] Residual,
}

/// <summary>A value to measure and its role.</summary>
public sealed record OutlierTensor(string Name, OutlierRole Role);

/// <summary>
/// Finds the tensors Bondarenko et al. 2023 measure in a transformer: the inputs and outputs of the residual Adds. A
/// residual Add is an Add of two computed values (neither an initializer nor a Constant: bias and position-embedding Adds
/// are not residual). Its branch input is the one read only by this Add (the skip input also feeds the next norm);
/// the branch is attention when a Softmax lies upstream of it before the nearest normalization, else FFN. Works on the
/// zoo's pre-norm blocks and on post-norm (BERT-style) exports alike.
/// </summary>
public static class OutlierTensors
{
    private const int MaxUpstreamNodes = 64;

    public static IReadOnlyList<OutlierTensor> Find(Graph.Graph g)
    {
        var producers = g.Producers();
        var consumers = g.Consumers();
        bool Computed(string v) => v.Length > 0 && !g.Initializers.ContainsKey(v)
            && (!producers.TryGetValue(v, out var p) || p.OpType != "Constant");
        var list = new List<OutlierTensor>();
        foreach (var n in g.Nodes)
        {
            if (n.OpType != "Add" || n.Inputs.Count != 2 || !Computed(n.Inputs[0]) || !Computed(n.Inputs[1])) continue;
            int branch = Readers(consumers, n.Inputs[1]) == 1 ? 1 : Readers(consumers, n.Inputs[0]) == 1 ? 0 : 1;
            string b = n.Inputs[branch];
            list.Add(new OutlierTensor(b, HasSoftmaxUpstream(b, producers) ? OutlierRole.Attention : OutlierRole.Ffn));
            list.Add(new OutlierTensor(n.Outputs[0], OutlierRole.Residual));
        }
        return list;
    }

    private static int Readers(Dictionary<string, List<Node>> consumers, string v) => consumers.TryGetValue(v, out var c) ? c.Count : 0;

    private static bool HasSoftmaxUpstream(string value, Dictionary<string, Node> producers)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<string>([value]);
        while (stack.Count > 0 && seen.Count < MaxUpstreamNodes)
        {
            if (!producers.TryGetValue(stack.Pop(), out var p) || !seen.Add(p)) continue;
            if (p.OpType == "Softmax") return true;
            if (p.OpType is "LayerNormalization" or "SimplifiedLayerNormalization" or "RMSNormalization" or "BatchNormalization") continue;
            foreach (var i in p.Inputs) if (i.Length > 0) stack.Push(i);
        }
        return false;
    }
}
