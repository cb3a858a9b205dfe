using System.Reflection;
using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Ops that make temporaries (float16 through float32, casts of parameters, composite reductions) must give them back
/// to the session pool: an array the pool lent and never got back stays in its ownership set for the session's life,
/// so a leak grows with every Run. After warm-up, repeated runs must not make the pool own more arrays.
/// </summary>
public class ElementwisePoolHygieneTests
{
    [Fact]
    public void RepeatedRuns_Float16Composites_DoNotGrowThePool()
    {
        var g = new Graph.Graph();
        g.Opsets[""] = 18;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float16, 2, 3, 8));
        g.Initializers["s"] = Tensor.FromArray(Enumerable.Repeat((Half)1, 8).ToArray(), 8);
        g.Initializers["lo"] = Tensor.Scalar((Half)(-1));
        g.Initializers["e"] = Tensor.Scalar(2f);
        g.Initializers["ax"] = Tensor.FromArray(new long[] { 1 }, 1);
        g.Add("LayerNormalization", ["x", "s"], ["a"]);
        g.Add("Clip", ["a", "lo"], ["b"]);
        g.Add("Pow", ["b", "e"], ["c"]);
        g.Add("ReduceLogSumExp", ["c", "ax"], ["d"]);
        g.Add("Softmax", ["d"], ["f"]);
        g.Add("Mean", ["f", "c", "b"], ["h"]);
        g.Add("MeanVarianceNormalization", ["h"], ["i"]).With("axes", new long[] { 0, 2 });
        g.Add("ReduceL2", ["i", "ax"], ["i2"]);
        g.Add("Cast", ["i2"], ["j"]).With("to", (long)DType.BFloat16);
        g.Add("Gelu", ["j"], ["k"]);
        g.Add("IsNaN", ["k"], ["l"]);
        g.Outputs.Add(new ValueInfo("k", DType.BFloat16, null));
        g.Outputs.Add(new ValueInfo("l", DType.Bool, null));
        g.Opsets[""] = 20;
        var session = new Session(g, new SessionOptions(threads: 1));
        var x = Tensor.FromArray(Enumerable.Range(0, 48).Select(i => (Half)(i * 0.1)).ToArray(), 2, 3, 8);
        // The pool's ownership set is private state: reached by reflection (fails loudly if renamed).
        var poolField = typeof(Session).GetField("pool", BindingFlags.NonPublic | BindingFlags.Instance);
        var ownedField = typeof(TensorPool).GetField("owned", BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.True(poolField is not null && ownedField is not null, "Session.pool or TensorPool.owned was renamed: update this test");
        var owned = (HashSet<Array>)ownedField!.GetValue(poolField!.GetValue(session))!;
        var counts = new List<int>();
        for (int i = 0; i < 6; i++)
        {
            session.Run(new Dictionary<string, Tensor> { ["x"] = x });
            counts.Add(owned.Count);
        }
        Assert.True(counts[2] == counts[5], $"pool-owned arrays per run: {string.Join(", ", counts)}");
    }
}
