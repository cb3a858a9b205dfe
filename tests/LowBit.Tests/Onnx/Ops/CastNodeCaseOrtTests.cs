using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Backend Cast cases whose stored outputs ONNX Runtime does not reproduce, run through ONNX Runtime and LowBit
/// on their own model and input.</summary>
public class CastNodeCaseOrtTests
{
    private const string Case = "test_cast_FLOAT_to_BFLOAT16";

    /// <summary>ONNX Runtime 1.31 rounds float32 → bfloat16 to nearest even, bit for bit as LowBit does; the case's stored
    /// expected output is the truncation of the input (upper 16 bits), which is why the case stays skipped
    /// (NodeTestSkips.Elementwise). Of its 12 inputs, 5 differ between the two roundings.</summary>
    [Fact]
    public void Cast_FloatToBFloat16NodeCase_OrtRoundsToNearestEvenAndExpectedIsTruncated()
    {
        if (!NodeTestCase.Available) return;
        var c = new NodeTestCase(Case, Path.Combine(NodeTestCase.Root, Case));
        var ds = c.DataSets().First();
        var input = NodeTestCase.ReadAll(ds, "input")[0];
        var expected = NodeTestCase.AsDeclared(NodeTestCase.ReadAll(ds, "output")[0], DType.BFloat16);
        using var ort = OrtRunner.FromFile(c.ModelPath, threads: 1);
        var theirs = ort.Run(new Dictionary<string, Tensor> { ["input"] = input })["output"];
        var ours = new Session(OnnxImporter.Load(c.ModelPath), new SessionOptions(threads: 1))
            .Run(new Dictionary<string, Tensor> { ["input"] = input })["output"];
        OrtParity.AssertBits(theirs, ours, Case);
        var x = input.AsSpan<float>();
        var e = expected.AsSpan<ushort>();
        var o = theirs.AsSpan<ushort>();
        int differ = 0;
        for (int i = 0; i < x.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(x[i]);
            Assert.Equal((ushort)(bits >> 16), e[i]);
            // Nearest even: add 0x7FFF plus the lowest kept bit, then truncate (NaN and Inf are unchanged here).
            if (!float.IsNaN(x[i])) Assert.Equal((ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16), o[i]);
            if (o[i] != e[i]) differ++;
        }
        Assert.Equal(5, differ);
    }

    /// <summary>LowBit gives the stored (numpy) strings; ONNX Runtime prints %.8g, so it fails this case
    /// ("0.60484552" where numpy's shortest form is "0.6048455").</summary>
    [Fact]
    public void Cast_FloatToStringNodeCase_MatchesStoredOutputWhereOrtPrintsEightDigits()
    {
        const string name = "test_cast_FLOAT_to_STRING";
        if (!NodeTestCase.Available) return;
        var c = new NodeTestCase(name, Path.Combine(NodeTestCase.Root, name));
        var ds = c.DataSets().First();
        var input = NodeTestCase.ReadAll(ds, "input")[0];
        var expected = NodeTestCase.ReadAll(ds, "output")[0];
        using var ort = OrtRunner.FromFile(c.ModelPath, threads: 1);
        var theirs = ort.Run(new Dictionary<string, Tensor> { ["input"] = input })["output"];
        var ours = new Session(OnnxImporter.Load(c.ModelPath), new SessionOptions(threads: 1))
            .Run(new Dictionary<string, Tensor> { ["input"] = input })["output"];
        Assert.Equal(expected.AsSpan<string>().ToArray(), ours.AsSpan<string>().ToArray());
        Assert.Equal("0.6048455", expected.AsSpan<string>()[1]);
        Assert.Equal("0.60484552", theirs.AsSpan<string>()[1]);
    }
}
