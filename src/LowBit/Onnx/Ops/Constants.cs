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

    [Op("Identity", 1)]
    public static Tensor Identity(Tensor input) => input;
}
