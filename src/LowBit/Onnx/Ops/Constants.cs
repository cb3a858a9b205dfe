using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Constant, ConstantOfShape, Identity.</summary>
internal static class Constants
{
    [Op("Constant", 1)]
    public static Tensor Constant(OpContext ctx, [Attr] Tensor? value = null, float? value_float = null, float[]? value_floats = null,
        long? value_int = null, long[]? value_ints = null, string? value_string = null, string[]? value_strings = null)
    {
        if (value is not null) return value;
        if (value_float is float f) return Tensor.FromArray(new[] { f });
        if (value_floats is not null) return Tensor.FromArray((float[])value_floats.Clone(), value_floats.Length);
        if (value_int is long i) return Tensor.FromArray(new[] { i });
        if (value_ints is not null) return Tensor.FromArray((long[])value_ints.Clone(), value_ints.Length);
        if (value_string is not null) return Tensor.FromArray(new[] { value_string });
        if (value_strings is not null) return Tensor.FromArray((string[])value_strings.Clone(), value_strings.Length);
        throw ctx.Error("has no value attribute");
    }

    /// <summary>A tensor of the shape given by the int64 input, filled with the one element of <paramref name="value"/>
    /// (default float32 0). The shape is validated before anything is allocated.</summary>
    [Op("ConstantOfShape", 9)]
    public static Tensor ConstantOfShape(Tensor input, [Attr] Tensor? value = null)
    {
        var shape = ShapeArgs.Dims(ShapeArgs.Longs(input), "ConstantOfShape");
        if (value is null) return Tensor.Zeros(DType.Float32, shape);
        if (value.Length != 1) throw new ArgumentException($"ConstantOfShape: value must have one element, got {value.ShapeString}");
        var v = Elements.Unpack(value);
        var y = Tensor.Empty(v.DType, shape);
        Elements.Fill(y, 0, y.Length, v);
        return Elements.Repack(y, value.DType);
    }

    [Op("Identity", 1)]
    public static Tensor Identity(Tensor input) => input;
}
