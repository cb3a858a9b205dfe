using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>
/// The number format of one Q/DQ pair, read back from the graph (so it works on any QDQ model, not only LowBit's):
/// <list type="bullet">
/// <item><see cref="Type"/> and <see cref="Bits"/>: the zero point's element type (uint8 when the node has none, the
/// ONNX default); for a DequantizeLinear of stored codes, the codes' type; for codes stored bit-packed (LowBit's
/// <c>PackedCodes</c> unpack subgraph feeding the DequantizeLinear), int<i>b</i>/uint<i>b</i> at the stored width b.</item>
/// <item><see cref="Granularity"/>: "per-tensor" (one scale), "per-channel" (a 1-D scale, along <see cref="Axis"/>,
/// default 1 as in ONNX), "per-group" (a block_size attribute or a scale of rank ≥ 2).</item>
/// <item>Lookup weights (packed codes → Gather from a grid table → Mul by the scale, no DequantizeLinear): see
/// <see cref="OfLookup"/>.</item>
/// <item><see cref="ClipMin"/>/<see cref="ClipMax"/>: the representable real range s·(qmin − z) … s·(qmax − z) of an
/// integer type, ±s·max-finite of a float type; per channel/group the envelope over all scales. Null when the scale or
/// zero point is not an initializer.</item>
/// </list>
/// </summary>
public sealed record QuantFormat(string Type, int Bits, string Granularity, int? Axis, int? BlockSize, int ScaleCount,
    double? ScaleMin, double? ScaleMax, double? ZeroPoint, double? ClipMin, double? ClipMax)
{
    /// <summary>"uint8 per-tensor", "int4 per-group(axis 1, block 32)".</summary>
    public override string ToString() => $"{Type} {Granularity}" + (Granularity switch
    {
        "per-channel" => $"(axis {Axis})",
        "per-group" => $"(axis {Axis}, block {BlockSize})",
        _ => "",
    });

    /// <summary>The format of QuantizeLinear/DequantizeLinear <paramref name="n"/> in <paramref name="g"/>
    /// (inputs: x, scale, optional zero point).</summary>
    /// <param name="producers"><see cref="Graph.Graph.Producers"/> of <paramref name="g"/> when the caller has it.</param>
    internal static QuantFormat Of(Graph.Graph g, Node n, IReadOnlyDictionary<string, Node>? producers = null)
    {
        Tensor? scale = n.Inputs.Count > 1 ? g.Initializers.GetValueOrDefault(n.Inputs[1]) : null;
        Tensor? zero = n.Inputs.Count > 2 && n.Inputs[2].Length > 0 ? g.Initializers.GetValueOrDefault(n.Inputs[2]) : null;
        var packed = n.OpType == "DequantizeLinear" && !g.Initializers.ContainsKey(n.Inputs[0])
            ? Quantization.Qdq.PackedCodesReader.TryRead(g, n.Inputs[0], producers ?? g.Producers()) : null;
        DType type = packed?.Codes.DType ?? zero?.DType
            ?? (n.OpType == "DequantizeLinear" && g.Initializers.GetValueOrDefault(n.Inputs[0]) is Tensor codes ? codes.DType : DType.UInt8);
        if (n.Get<long?>("output_dtype") is long od && od != 0) type = (DType)(int)od;
        long? block = n.Get<long?>("block_size") is long b && b > 0 ? b : null;
        int axis = (int)(n.Get<long?>("axis") ?? 1);
        string granularity = scale is null || scale.Length <= 1 ? "per-tensor"
            : block is not null || scale.Rank >= 2 ? "per-group" : "per-channel";
        bool perTensor = granularity == "per-tensor";

        double? sMin = null, sMax = null, zp = null, clipMin = null, clipMax = null;
        if (scale is not null && scale.Length > 0)
        {
            var s = scale.ToFloatArray();
            var z = zero?.ToFloatArray();
            sMin = s.Min();
            sMax = s.Max();
            if (perTensor) zp = z is { Length: > 0 } ? z[0] : 0;
            var (qmin, qmax) = packed is { Bits: var pb } ? PackedRange(pb, type == DType.Int8) : Range(type);
            if (qmax > qmin && (zero is null || z!.Length == s.Length || z.Length == 1))
            {
                double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
                for (int i = 0; i < s.Length; i++)
                {
                    double zi = z is null ? 0 : z[z.Length == 1 ? 0 : i];
                    lo = Math.Min(lo, s[i] * (qmin - zi));
                    hi = Math.Max(hi, s[i] * (qmax - zi));
                }
                (clipMin, clipMax) = (lo, hi);
            }
        }
        string typeName = packed is { Bits: var b2 } ? (type == DType.Int8 ? "int" : "uint") + b2 : type.Name();
        return new QuantFormat(typeName, packed?.Bits ?? CodeBits(type), granularity, perTensor ? null : axis, block is long bb ? (int)bb : null,
            scale?.Length ?? 0, sMin, sMax, zp, clipMin, clipMax);
    }

    /// <summary>The format of a lookup weight (Quantization/Qdq/LookupWeights.cs): <paramref name="mul"/> = Mul(<paramref name="gather"/>
    /// = Gather(table, codes), S). <see cref="Type"/> is the registered format whose grid table equals the file's table
    /// (else "lookup<i>b</i>"), <see cref="Bits"/> = log2 of the table length; S is a scalar (per tensor), an initializer with
    /// one non-1 dimension (per channel, along it) or Gather(blocked scales, block index, axis) (per group). Clip range:
    /// s·min(table) … s·max(table), enveloped over the scales.</summary>
    internal static QuantFormat OfLookup(Graph.Graph g, Node mul, Node gather, IReadOnlyDictionary<string, Node> producers)
    {
        var table = g.Initializers[gather.Inputs[0]].ToFloatArray();
        int bits = System.Numerics.BitOperations.Log2((uint)Math.Max(table.Length, 1));
        string type = Formats.FormatTable.All.FirstOrDefault(f => Quantization.Qdq.LookupWeights.Applies(f)
            && Quantization.Qdq.LookupWeights.Table(f).AsSpan().SequenceEqual(table))?.Name ?? $"lookup{bits}";
        Tensor? scale = g.Initializers.GetValueOrDefault(mul.Inputs[1]);
        string granularity = "per-tensor";
        int? axis = null, block = null;
        if (scale is null && producers.TryGetValue(mul.Inputs[1], out var sg) && sg.OpType == "Gather"
            && g.Initializers.GetValueOrDefault(sg.Inputs[0]) is Tensor blocked && g.Initializers.GetValueOrDefault(sg.Inputs[1]) is Tensor index)
        {
            scale = blocked;
            granularity = "per-group";
            axis = (int)(sg.Get<long?>("axis") ?? 0);
            block = index.ToInt64Array().Count(i => i == 0);
        }
        else if (scale is { Length: > 1 })
        {
            granularity = "per-channel";
            axis = Array.FindIndex(scale.Shape, d => d == scale.Length);
        }
        double? sMin = null, sMax = null, clipMin = null, clipMax = null;
        if (scale is { Length: > 0 } && table.Length > 0)
        {
            var sv = scale.ToFloatArray();
            (sMin, sMax) = (sv.Min(), sv.Max());
            clipMin = sv.Min(x => x * (double)table.Min());
            clipMax = sv.Max(x => x * (double)table.Max());
        }
        return new QuantFormat(type, bits, granularity, axis, block, scale?.Length ?? 0, sMin, sMax, granularity == "per-tensor" ? 0 : null, clipMin, clipMax);
    }

    /// <summary>Bits of one code of <paramref name="t"/> (4 for packed int4/uint4/float4).</summary>
    internal static int CodeBits(DType t) => t switch
    {
        DType.Int4 or DType.UInt4 or DType.Float4E2M1 => 4,
        DType.Int8 or DType.UInt8 or DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ => 8,
        DType.Int16 or DType.UInt16 or DType.Float16 or DType.BFloat16 => 16,
        DType.Int32 or DType.UInt32 or DType.Float32 => 32,
        _ => 64,
    };

    /// <summary>[qmin, qmax] of b-bit codes stored packed (signed: two's-complement range).</summary>
    internal static (double Min, double Max) PackedRange(int bits, bool signed) =>
        signed ? (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) : (0, (1 << bits) - 1);

    /// <summary>[qmin, qmax] of the code type: integer limits, ±max finite of small floats; (0, 0) when unknown.</summary>
    internal static (double Min, double Max) Range(DType t) => t switch
    {
        DType.Int4 => (-8, 7),
        DType.UInt4 => (0, 15),
        DType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DType.UInt8 => (0, byte.MaxValue),
        DType.Int16 => (short.MinValue, short.MaxValue),
        DType.UInt16 => (0, ushort.MaxValue),
        DType.Int32 => (int.MinValue, int.MaxValue),
        DType.Float8E4M3FN => (-448, 448),
        DType.Float8E4M3FNUZ => (-240, 240),
        DType.Float8E5M2 or DType.Float8E5M2FNUZ => (-57344, 57344),
        DType.Float4E2M1 => (-6, 6),
        _ => (0, 0),
    };
}
