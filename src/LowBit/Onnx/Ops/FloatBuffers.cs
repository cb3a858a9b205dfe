using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// float64 staging for the signal, window and detection ops: they accumulate sums of products (DFT, interpolation),
/// so they read any float input as double and round once when writing the output in its dtype.
/// </summary>
internal static class FloatBuffers
{
    /// <summary>The elements of a float tensor as double; <paramref name="what"/> names the input in the error.</summary>
    public static double[] Read(Tensor t, string what)
    {
        if (!t.DType.IsFloat()) throw new ArgumentException($"{what} must be a float tensor, got {t.DType.Name()}");
        return t.ToDoubleArray();
    }

    /// <summary>A new tensor of <paramref name="dtype"/> holding <paramref name="values"/> (rounded to nearest).</summary>
    public static Tensor Write(double[] values, DType dtype, int[] shape)
    {
        var y = Tensor.Empty(dtype, shape);
        switch (dtype)
        {
            case DType.Float32:
            {
                var o = y.AsSpan<float>();
                for (int i = 0; i < o.Length; i++) o[i] = (float)values[i];
                break;
            }
            case DType.Float64:
                values.AsSpan(0, y.Length).CopyTo(y.AsSpan<double>());
                break;
            default:
                for (int i = 0; i < y.Length; i++) y.SetDouble(i, values[i]);
                break;
        }
        return y;
    }

    /// <summary>The single integer of a scalar or one-element tensor input.</summary>
    public static long ScalarInt(Tensor t, string what)
    {
        if (t.Length != 1) throw new ArgumentException($"{what} must be a scalar, got shape {t.ShapeString}");
        if (!t.DType.IsInteger()) throw new ArgumentException($"{what} must be an integer, got {t.DType.Name()}");
        return t.GetInt64(0);
    }

    /// <summary>The single value of a scalar or one-element float (or integer) tensor input.</summary>
    public static double ScalarFloat(Tensor t, string what)
    {
        if (t.Length != 1) throw new ArgumentException($"{what} must be a scalar, got shape {t.ShapeString}");
        return t.GetDouble(0);
    }

    /// <summary>The dtype named by an output_datatype attribute (a TensorProto.DataType code): any unpacked numeric type.</summary>
    public static DType OutputType(long code, string op)
    {
        var t = (DType)code;
        if (!Enum.IsDefined(t) || !(t.IsFloat() || t.IsInteger()) || t.IsPacked4())
            throw new ArgumentException($"{op}: output_datatype {code} is not a numeric tensor type");
        return t;
    }
}
