using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// Makes one array from a data file fit a model input, keeping its values: same dtype (integer ↔ integer and float ↔
/// float conversions, integer → float; a float array for an integer input is refused, token ids must not be guessed
/// from reals), and either the input's shape or the shape without its leading batch dim (a batch of 1 is added).
/// Symbolic dims accept any size, so samples of different widths fit a [N,3,48,W] input one by one.
/// </summary>
public static class InputFit
{
    /// <summary><paramref name="t"/> as <paramref name="input"/> takes it; <paramref name="what"/> names the file in errors.</summary>
    public static Tensor Fit(Tensor t, ValueInfo input, string what)
    {
        if (input.NonTensorType is not null)
            throw new LowBitException(ErrorKind.InvalidInput, $"{what}: input '{input.Name}' is a {input.NonTensorType}, which LowBit cannot feed (tensors only)");
        var shape = FitShape(t, input, what);
        var cast = FitDType(t, input, what);
        return shape.AsSpan().SequenceEqual(cast.Shape) ? cast : cast.Reshape(shape);
    }

    private static int[] FitShape(Tensor t, ValueInfo input, string what)
    {
        if (input.Accepts(t.Shape)) return t.Shape;
        if (input.Shape is { } s && s.Length == t.Rank + 1 && input.Accepts([1, .. t.Shape])) return [1, .. t.Shape];
        throw new LowBitException(ErrorKind.InvalidInput,
            $"{what}: input '{input.Name}' expects {input.DType.Name()} {input.ShapeString}; the data holds {t.DType.Name()} {t.ShapeString}");
    }

    private static Tensor FitDType(Tensor t, ValueInfo input, string what)
    {
        var want = input.DType;
        if (want == DType.Undefined || t.DType == want) return t;
        if (t.DType == DType.String || want == DType.String)
            throw new LowBitException(ErrorKind.InvalidInput, $"{what}: input '{input.Name}' expects {want.Name()}; the data holds {t.DType.Name()}");
        bool intTarget = want.IsInteger() || want == DType.Bool;
        if (intTarget && t.DType.IsFloat())
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{what}: input '{input.Name}' expects {want.Name()} values (e.g. token ids); the data holds {t.DType.Name()}: save the integers as such (np.save(path, a.astype(np.{want.Name()})))");
        if (intTarget && t.DType.IsInteger()) CheckIntegerRange(t, want, input.Name, what);
        return Elementwise.Cast(t, want);
    }

    /// <summary>Integer → narrower integer would wrap (Cast semantics); a value outside the target range is refused.</summary>
    private static void CheckIntegerRange(Tensor t, DType want, string name, string what)
    {
        (long lo, long hi) = want switch
        {
            DType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            DType.UInt8 => (0, byte.MaxValue),
            DType.Int16 => (short.MinValue, short.MaxValue),
            DType.UInt16 => (0, ushort.MaxValue),
            DType.Int32 => (int.MinValue, int.MaxValue),
            DType.UInt32 => (0, uint.MaxValue),
            DType.Bool => (0, 1),
            DType.UInt64 => (0, long.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        for (int i = 0; i < t.Length; i++)
        {
            long v = t.GetInt64(i);
            if (v < lo || v > hi)
                throw new LowBitException(ErrorKind.InvalidInput, $"{what}: value {v} at element {i} does not fit input '{name}' ({want.Name()})");
        }
    }
}
