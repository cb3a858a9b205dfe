using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization;

public class QuantParamsTests
{
    private static readonly INumberFormat Int8 = FormatTable.Get("int8"), UInt4 = FormatTable.Get("uint4");

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Constructor_BadScale_Throws(float scale) =>
        Assert.Throws<ArgumentException>(() => QuantParams.Scalar(Int8, scale, 0));

    [Theory]
    [InlineData(-129)]
    [InlineData(128)]
    public void Constructor_ZeroPointOutsideGrid_Throws(int z) =>
        Assert.Throws<ArgumentException>(() => QuantParams.Scalar(Int8, 1f, z));

    [Fact]
    public void Constructor_NarrowFormat_RejectsFullRangeMinimumAsZeroPoint() =>
        Assert.Throws<ArgumentException>(() => QuantParams.Scalar(FormatTable.Get("int8-narrow"), 1f, -128));

    [Fact]
    public void Constructor_CountMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new QuantParams(Int8, PerTensor.Instance, [1f, 2f], [0, 0]));
        Assert.Throws<ArgumentException>(() => new QuantParams(Int8, new PerChannel(0), [1f, 2f], [0]));
        Assert.Throws<ArgumentException>(() => new QuantParams(Int8, new PerGroup(0, 16), [1f, 2f], [0, 0], [3, 1]));
        Assert.Throws<ArgumentException>(() => new QuantParams(Int8, new PerGroup(0, 16), [1f, 2f], [0, 0]));
    }

    [Fact]
    public void ScaleShapeFor_Granularities_FollowOnnx()
    {
        Assert.Empty(QuantParams.ScaleShapeFor([4, 5], PerTensor.Instance));
        Assert.Equal([5], QuantParams.ScaleShapeFor([4, 5], new PerChannel(-1)));
        Assert.Equal([3, 5], QuantParams.ScaleShapeFor([40, 5], new PerGroup(0, 16)));  // ⌈40/16⌉ = 3
        Assert.Equal([2, 2, 7], QuantParams.ScaleShapeFor([2, 32, 7], new PerGroup(1, 16)));
    }

    [Fact]
    public void CheckFits_WrongTensor_Throws()
    {
        var p = new QuantParams(Int8, new PerChannel(1), [1f, 1f, 1f], [0, 0, 0]);
        p.CheckFits([2, 3, 4]);
        Assert.Throws<ArgumentException>(() => p.CheckFits([3, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.CheckFits([3]));
    }

    [Fact]
    public void Tensors_HaveOnnxTypesAndShapes()
    {
        var p = new QuantParams(UInt4, new PerGroup(0, 16), [0.5f, 0.25f], [3, 15], [2, 1]);
        var s = p.ScaleTensor();
        var z = p.ZeroPointTensor();
        Assert.Equal(DType.Float32, s.DType);
        Assert.Equal([2, 1], s.Shape);
        Assert.Equal(DType.UInt4, z.DType);
        Assert.Equal([2, 1], z.Shape);
        Assert.Equal([3.0, 15.0], z.ToDoubleArray());
        Assert.Equal(0, p.Axis);
        Assert.Equal(16, p.BlockSize);
        var scalar = QuantParams.Scalar(Int8, 0.1f, -3);
        Assert.Empty(scalar.ScaleTensor().Shape);
        Assert.Null(scalar.Axis);
    }
}
