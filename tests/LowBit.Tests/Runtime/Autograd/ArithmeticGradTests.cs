namespace LowBit.Tests.Autograd;

/// <summary>Add, Sub, Mul, Div backward with broadcasting against finite differences (tolerance as in
/// <see cref="GradCheck"/>; Div's divisor is kept in [0.5, 2] in magnitude so 1/B is smooth over ±ε).</summary>
public class ArithmeticGradTests
{
    public static TheoryData<string, int[], int[]> Cases()
    {
        var d = new TheoryData<string, int[], int[]>();
        int[][][] shapes =
        [
            [[2, 3], [2, 3]],
            [[2, 3, 4], [4]],
            [[2, 3, 4], [3, 1]],
            [[1, 3, 1], [2, 1, 4]],
            [[2, 3], []],
            [[3], [2, 3]],
        ];
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div" })
            foreach (var s in shapes) d.Add(op, s[0], s[1]);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Binary_Broadcast_MatchesFiniteDifferences(string op, int[] a, int[] b)
    {
        var rng = new Random(op.Length * 31 + a.Sum() * 7 + b.Sum());
        var bv = op == "Div" ? DivisorValues(rng, b) : TestTensors.Random(rng, b);
        GradCheck.For(op).Input("a", TestTensors.Random(rng, a)).Input("b", bv).Run();
    }

    /// <summary>Opset 6: B [3] broadcast into A [2,3,4] at axis 1 (legacy broadcast=1).</summary>
    [Theory]
    [InlineData("Add")]
    [InlineData("Mul")]
    public void Binary_LegacyAxisBroadcast_MatchesFiniteDifferences(string op)
    {
        var rng = new Random(60);
        GradCheck.For(op, opset: 6).Input("a", TestTensors.Random(rng, 2, 3, 4)).Input("b", TestTensors.Random(rng, 3))
            .Attr("broadcast", 1L).Attr("axis", 1L).Run();
    }

    private static LowBit.Tensors.Tensor DivisorValues(Random rng, int[] shape)
    {
        var t = TestTensors.Uniform(rng, 0.5, 2, shape);
        for (int i = 0; i < t.Length; i++) if (rng.Next(2) == 0) t.SetDouble(i, -t.GetDouble(i));
        return t;
    }
}
