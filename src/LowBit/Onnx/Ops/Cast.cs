using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Cast and CastLike (conversion rules in <see cref="Elementwise.Cast"/>).</summary>
internal static class CastOps
{
    /// <summary><c>saturate</c> (opset 19) only affects float8 targets: out-of-range values clamp to ±max instead of
    /// becoming NaN/Inf.</summary>
    [Op("Cast", 6)]
    public static Tensor Cast(Tensor input, long to, long saturate = 1) => Elementwise.Cast(input, ToDType(to), saturate != 0);

    /// <summary>Opset 1 names the target type with a string ("FLOAT", "INT64", ...).</summary>
    [Op("Cast", 1)]
    public static Tensor CastLegacy(Tensor input, string to)
    {
        if (!Enum.TryParse<DType>(Normalize(to), ignoreCase: true, out var t) || t == DType.Undefined)
            throw new ArgumentException($"unknown cast target type '{to}'");
        return Elementwise.Cast(input, t);
    }

    [Op("CastLike", 15)]
    public static Tensor CastLike(Tensor input, Tensor target_type, long saturate = 1) => Elementwise.Cast(input, target_type.DType, saturate != 0);

    private static DType ToDType(long to)
    {
        var t = (DType)to;
        if (!Enum.IsDefined(t) || t == DType.Undefined) throw new ArgumentException($"unsupported cast target type {to}");
        return t;
    }

    /// <summary>TensorProto names ("FLOAT", "DOUBLE", "UINT8", "FLOAT16", "BFLOAT16") to DType member names.</summary>
    private static string Normalize(string name) => name.ToUpperInvariant() switch
    {
        "FLOAT" => "Float32",
        "DOUBLE" => "Float64",
        "FLOAT16" => "Float16",
        "BFLOAT16" => "BFloat16",
        "UINT8" => "UInt8", "UINT16" => "UInt16", "UINT32" => "UInt32", "UINT64" => "UInt64",
        "INT8" => "Int8", "INT16" => "Int16", "INT32" => "Int32", "INT64" => "Int64",
        "BOOL" => "Bool", "STRING" => "String",
        _ => name,
    };
}
