using LowBit.Formats;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization.Qdq;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>The packed-code unpack subgraph restores the exact codes in LowBit's runtime and in ONNX Runtime, and the
/// file holds ⌈n/8⌉·b bytes of codes plus constant-size helpers.</summary>
public class PackedCodesTests
{
    public static TheoryData<int, bool, int[]> Cases()
    {
        var d = new TheoryData<int, bool, int[]>();
        foreach (int b in new[] { 1, 2, 3, 4, 5, 6, 7, 8 })
            foreach (bool signed in new[] { false, true })
            {
                d.Add(b, signed, [13, 7]);   // 91 codes: partial last group
                d.Add(b, signed, [3, 8]);    // 24 codes: whole groups, no Slice
                d.Add(b, signed, [1]);
            }
        return d;
    }

    private static int[] Codes(int bits, bool signed, int n, int seed)
    {
        int lo = signed ? -(1 << (bits - 1)) : 0, count = 1 << bits;
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i < count ? lo + i : lo + rng.Next(count)).ToArray();
    }

    private static Graph.Graph UnpackGraph(int[] codes, int bits, bool signed, int[] shape)
    {
        var g = new Graph.Graph { Opsets = new() { [""] = 17 } };
        g.Nodes.AddRange(PackedCodes.AddUnpack(g, "w", codes, bits, signed, shape, "codes"));
        g.Outputs.Add(ValueInfo.Of("codes", signed ? DType.Int8 : DType.UInt8, shape.Select(d => (long)d).ToArray()));
        return g;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Unpack_LowBitAndOnnxRuntime_RestoreCodesExactly(int bits, bool signed, int[] shape)
    {
        int n = shape.Aggregate(1, (a, d) => a * d);
        var codes = Codes(bits, signed, n, 17 * bits + n);
        var g = UnpackGraph(codes, bits, signed, shape);
        var ours = new Session(g).Run(new Dictionary<string, Tensor>())["codes"];
        Assert.Equal(signed ? DType.Int8 : DType.UInt8, ours.DType);
        Assert.Equal(shape, ours.Shape);
        Assert.Equal(codes, CodeStorage.FromTensor(ours));
        using var ort = OrtRunner.FromGraph(g, threads: 1, optimize: false);
        var theirs = ort.Run(new Dictionary<string, Tensor>())["codes"];
        Assert.Equal(ours.DType, theirs.DType);
        Assert.Equal(shape, theirs.Shape);
        Assert.Equal(codes, CodeStorage.FromTensor(theirs));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Unpack_Initializers_PackedBytesPlusConstantHelpers(int bits)
    {
        int[] shape = [64, 125];  // 8000 codes: 1000 whole groups
        var codes = Codes(bits, true, 8000, bits);
        var g = UnpackGraph(codes, bits, true, shape);
        var packed = Assert.Single(g.Initializers.Values, t => t.DType == DType.UInt8);
        Assert.Equal(new[] { 1000, bits }, packed.Shape);
        Assert.Equal(8000 * bits / 8, packed.Length);
        // Helpers: three int32[8] tables, three int32 scalars, a 2-D int64 shape.
        long helpers = g.Initializers.Values.Where(t => !ReferenceEquals(t, packed)).Sum(t => (long)t.Length * t.DType.StorageElementSize());
        Assert.True(helpers <= 3 * 32 + 3 * 4 + 16, $"helper tensors take {helpers} B");
        // The whole file: packed bytes plus node and name overhead that does not grow with n (measured ≈ 1 KB).
        long file = OnnxExporter.ToBytes(g).Length;
        Assert.InRange(file - packed.Length, 0, 2048);
    }
}
