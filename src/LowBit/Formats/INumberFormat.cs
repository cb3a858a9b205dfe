using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// An element number format: which values a quantized element can hold (DESIGN.md §3: formats are data; observers
/// pick ranges; rounding picks codes). A real value r is represented through a scale s &gt; 0 and zero point z as
/// <c>r ≈ s·(g − z)</c>, where g = <see cref="Decode"/>(code) is a grid value in code space.
/// <para>A <b>code</b> is the integer held in one storage element: the two's-complement or unsigned integer itself for
/// integer types, the bit pattern for float types, the table index for codebook types. When
/// <see cref="IntegerRange"/> is set, the grid is every integer in [qmin, qmax] and codes equal their values.</para>
/// </summary>
public interface INumberFormat
{
    /// <summary>Registry name (<c>int8</c>, <c>uint4</c>, <c>int8-narrow</c>), as accepted by <see cref="FormatTable.Get"/>.</summary>
    string Name { get; }

    /// <summary>Bits per element of the format itself, excluding scales and zero points (which depend on granularity).</summary>
    double BitsPerWeight { get; }

    /// <summary>Whether the grid holds negative values.</summary>
    bool IsSigned { get; }

    /// <summary>Every representable value in code space, strictly ascending (the values <see cref="Decode"/> returns).</summary>
    IReadOnlyList<float> Grid { get; }

    /// <summary>(qmin, qmax) when the grid is exactly the integers qmin..qmax, so zero points can shift it;
    /// null for non-uniform or non-integer grids (float, NF4, codebooks), which take zero point 0.</summary>
    (int Min, int Max)? IntegerRange { get; }

    /// <summary>ONNX element type that stores the codes in an exported model (QuantizeLinear output type), or null when
    /// ONNX has none (then only LowBit's runtime or a custom op can consume it).</summary>
    DType? OnnxType { get; }

    /// <summary>
    /// Encodes values already divided by the scale: <c>codes[i] = saturate(round(scaled[i]) + zeroPoint)</c>, where round
    /// picks one of the two grid neighbours through <paramref name="rounding"/> and saturate clamps to the grid ends.
    /// <paramref name="firstIndex"/> is the flat tensor index of <c>scaled[0]</c> (rounding may depend on the element).
    /// NaN encodes as <paramref name="zeroPoint"/> (dequantizes to 0).
    /// </summary>
    void Encode(ReadOnlySpan<float> scaled, int zeroPoint, Span<int> codes, IRounding rounding, int firstIndex);

    /// <summary>The grid value of a code (the inverse of <see cref="Encode"/> on grid values).</summary>
    float Decode(int code);
}
