using LowBit.Nn.Zoo;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Sessions;

public class SessionProfileTests
{
    private static Dictionary<string, Tensor> Input(Graph.Graph g)
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 28 * 28).Select(i => (float)Math.Sin(i)).ToArray(), 2, 1, 28, 28);
        return new() { [g.RealInputs.First().Name] = x };
    }

    [Fact]
    public void Profile_TimesEveryNodeThatRan_AndSumsOverRuns()
    {
        var g = ModelZoo.Build("fashion-cnn");
        var s = new Session(g, new SessionOptions(1) { Profile = true, Optimize = false });
        s.Run(Input(g));
        Assert.Equal(g.Nodes.Select(n => (n.Name, n.OpType)).ToHashSet(), s.NodeTimes.Keys.ToHashSet());
        Assert.All(s.NodeTimes.Values, t => Assert.True(t >= 0));
        var first = s.NodeTimes.Values.Sum();
        s.Run(Input(g));
        Assert.True(s.NodeTimes.Values.Sum() > first);
        // the optimized copy reports its own (fused) nodes: fewer than the graph as written
        var fused = new Session(g, new SessionOptions(1) { Profile = true });
        fused.Run(Input(g));
        Assert.InRange(fused.NodeTimes.Count, 1, g.Nodes.Count - 1);
    }

    [Fact]
    public void Profile_Off_RecordsNothing()
    {
        var g = ModelZoo.Build("fashion-cnn");
        var s = new Session(g, new SessionOptions(1));
        s.Run(Input(g));
        Assert.Empty(s.NodeTimes);
    }
}
