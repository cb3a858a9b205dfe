using LowBit.Tensors;

namespace LowBit.Tests.Tensors;

/// <summary>Element type conversion (ONNX Cast semantics) and the float16/bfloat16 compute-in-float32 paths.</summary>
public class ElementwiseCastTests
{
    [Fact]
    public void Cast_FloatToInt_TruncatesTowardZeroAndSaturates()
    {
        var x = Tensor.FromArray(new[] { 2.9f, -2.9f, 0.5f, -0.5f, 3e9f, -3e9f, float.NaN }, 7);
        var r = Elementwise.Cast(x, DType.Int32).AsSpan<int>().ToArray();
        Assert.Equal(new[] { 2, -2, 0, 0, int.MaxValue, int.MinValue, 0 }, r);
    }

    [Fact]
    public void Cast_WideToNarrowInteger_Wraps()
    {
        var x = Tensor.FromArray(new long[] { 300, -129, 65535, -1 }, 4);
        Assert.Equal(new sbyte[] { 44, 127, -1, -1 }, Elementwise.Cast(x, DType.Int8).AsSpan<sbyte>().ToArray());
        Assert.Equal(new byte[] { 44, 127, 255, 255 }, Elementwise.Cast(x, DType.UInt8).AsSpan<byte>().ToArray());
    }

    [Fact]
    public void Cast_ToBool_NonZeroAndNaNAreTrue()
    {
        var x = Tensor.FromArray(new[] { 0f, -0f, 1e-30f, float.NaN, -2f }, 5);
        Assert.Equal(new[] { false, false, true, true, true }, Elementwise.Cast(x, DType.Bool).AsSpan<bool>().ToArray());
    }

    [Fact]
    public void Cast_DoubleToFloat16_RoundsOnce()
    {
        // 1 + 2^-11 + 2^-40 is just above the midpoint between float16 neighbours 1 and 1 + 2^-10: rounding through
        // float32 would first drop the 2^-40 and then tie to even (1.0); rounding once gives 1 + 2^-10.
        double v = 1 + Math.Pow(2, -11) + Math.Pow(2, -40);
        var h = Elementwise.Cast(Tensor.FromArray(new[] { v }, 1), DType.Float16).AsSpan<Half>()[0];
        Assert.Equal(1 + Math.Pow(2, -10), (double)h);
    }

    [Fact]
    public void Cast_Float32ToBFloat16_RoundsToNearestEven()
    {
        // 1 + 2^-8 is the midpoint between bfloat16 1 and 1 + 2^-7 (ties to even: 1); 1 + 3·2^-8 ties up to 1 + 2^-6.
        var x = Tensor.FromArray(new[] { 1 + 1f / 256, 1 + 3f / 256, 1 + 1.5f / 256, float.NaN }, 4);
        var r = Elementwise.Cast(x, DType.BFloat16);
        var back = Elementwise.Cast(r, DType.Float32).AsSpan<float>().ToArray();
        Assert.Equal(1f, back[0]);
        Assert.Equal(1 + 4f / 256, back[1]);
        Assert.Equal(1 + 2f / 256, back[2]);
        Assert.True(float.IsNaN(back[3]));
    }

    [Fact]
    public void Cast_StringsRoundTrip_WithSpecialValues()
    {
        var x = Tensor.FromArray(new[] { 0.039187793f, -1.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity }, 5);
        var s = Elementwise.Cast(x, DType.String).AsSpan<string>().ToArray();
        Assert.Equal(new[] { "0.039187793", "-1.5", "NaN", "INF", "-INF" }, s);
        var back = Elementwise.Cast(Tensor.FromArray(new[] { "0.039187793", "-1.5", "NaN", "+INF", "-inf" }, 5), DType.Float32).AsSpan<float>().ToArray();
        Assert.Equal(0.039187793f, back[0]);
        Assert.Equal(-1.5f, back[1]);
        Assert.True(float.IsNaN(back[2]));
        Assert.Equal(float.PositiveInfinity, back[3]);
        Assert.Equal(float.NegativeInfinity, back[4]);
        Assert.Equal(9007199254740993L, Elementwise.Cast(Tensor.FromArray(new[] { "9007199254740993" }, 1), DType.Int64).AsSpan<long>()[0]);
    }

    [Theory]
    [InlineData(DType.Float8E4M3FN)]
    [InlineData(DType.Float8E4M3FNUZ)]
    [InlineData(DType.Float8E5M2)]
    [InlineData(DType.Float8E5M2FNUZ)]
    public void Float8Codec_AgreesWithReferenceEncoder(DType type)
    {
        // The table codec must pick exactly the code of the exhaustive-search reference (Float8.FromFloat),
        // including ties, subnormals, signed zeros, out-of-range values and NaN, in both saturation modes.
        var codec = Float8Codec.For(type);
        var rng = new Random((int)type);
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-12f, -1e-12f, 1e6f, -1e6f };
        for (int c = 0; c < 256; c++)
        {
            float v = Float8.ToFloat(type, (byte)c);
            if (float.IsNaN(v)) continue;
            values.Add(v);
            values.Add(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) + 1));
            float next = Float8.ToFloat(type, (byte)(c + 1 & 0xFF));
            if (!float.IsNaN(next) && float.IsFinite(next)) values.Add((v + next) / 2);
        }
        for (int i = 0; i < 2000; i++) values.Add((float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-20, 18))));
        foreach (float v in values)
            foreach (bool saturate in new[] { true, false })
                Assert.True(Float8.FromFloat(type, v, saturate) == codec.Encode(v, saturate), $"{type} {v} saturate={saturate}");
    }

    [Fact]
    public void Cast_Float8RoundTrip_PreservesCodes()
    {
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var f8 = Tensor.FromStorage(DType.Float8E4M3FN, codes, 256);
        var f = Elementwise.Cast(f8, DType.Float32);
        var back = (byte[])Elementwise.Cast(f, DType.Float8E4M3FN).Data;
        for (int i = 0; i < 256; i++)
            if (!float.IsNaN(f.AsSpan<float>()[i])) Assert.Equal(codes[i], back[i]);
    }

    [Fact]
    public void Add_Float16_EqualsFloat32SumRoundedOnce()
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, 1000).Select(_ => (Half)(rng.NextDouble() * 200 - 100)).ToArray();
        var b = Enumerable.Range(0, 1000).Select(_ => (Half)(rng.NextDouble() * 200 - 100)).ToArray();
        var r = Elementwise.Add(Tensor.FromArray(a, 1000), Tensor.FromArray(b, 1000));
        Assert.Equal(DType.Float16, r.DType);
        for (int i = 0; i < 1000; i++) Assert.Equal((Half)((float)a[i] + (float)b[i]), r.AsSpan<Half>()[i]);
    }

    [Fact]
    public void Maximum_BFloat16Broadcast_EqualsFloat32ResultRounded()
    {
        var rng = new Random(2);
        var a = Enumerable.Range(0, 24).Select(_ => BFloat16Bits.FromFloat((float)rng.NextDouble() - 0.5f)).ToArray();
        var b = new[] { BFloat16Bits.FromFloat(0.1f), BFloat16Bits.FromFloat(-0.2f), BFloat16Bits.FromFloat(0f) };
        var r = Elementwise.Maximum(Tensor.FromStorage(DType.BFloat16, a, 8, 3), Tensor.FromStorage(DType.BFloat16, b, 3));
        Assert.Equal(DType.BFloat16, r.DType);
        for (int i = 0; i < 24; i++)
            Assert.Equal(Math.Max(BFloat16Bits.ToFloat(a[i]), BFloat16Bits.ToFloat(b[i % 3])), BFloat16Bits.ToFloat(r.AsSpan<ushort>()[i]));
    }

    [Fact]
    public void BFloat16ToSingle_Vectorized_MatchesScalar()
    {
        var bits = Enumerable.Range(0, 1037).Select(i => (ushort)(i * 63 + 5)).ToArray();
        var f = new float[bits.Length];
        Elementwise.BFloat16ToSingle(bits, f);
        for (int i = 0; i < bits.Length; i++) Assert.Equal(BitConverter.SingleToInt32Bits(BFloat16Bits.ToFloat(bits[i])), BitConverter.SingleToInt32Bits(f[i]));
    }
}
