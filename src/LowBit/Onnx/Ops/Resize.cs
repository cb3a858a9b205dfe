using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Resize (opset 10–19) and Upsample (7, 9). The output size per axis is ⌊n·scale⌋ from scales, or the given sizes
/// (scale = size/n; with keep_aspect_ratio_policy one common scale and size = round(n·scale)). Each output coordinate
/// x is mapped to an input coordinate by coordinate_transformation_mode, then sampled by nearest, linear or cubic
/// interpolation (<see cref="ResizeKernels"/>). Upsample and Resize-10 use asymmetric coordinates (x/scale) and the
/// pre-opset-11 nearest rule of ONNX Runtime: floor when upsampling, ceil when downsampling.
/// </summary>
internal static class ResizeOps
{
    [Op("Upsample", 7)]
    public static Tensor UpsampleV7(Tensor X, float[] scales, string mode = "nearest") => Legacy(X, scales.Select(s => (double)s).ToArray(), mode);

    [Op("Upsample", 9)]
    public static Tensor Upsample(Tensor X, Tensor scales, string mode = "nearest") => Legacy(X, scales.ToDoubleArray(), mode);

    [Op("Resize", 10)]
    public static Tensor ResizeV10(Tensor X, Tensor scales, string mode = "nearest") => Legacy(X, scales.ToDoubleArray(), mode);

    private static Tensor Legacy(Tensor x, double[] scales, string mode)
    {
        if (scales.Length != x.Rank) throw new ArgumentException($"{scales.Length} scales for rank {x.Rank}");
        var spec = new ResizeSpec
        {
            Mode = mode == "bilinear" ? "linear" : mode,
            Coordinates = "asymmetric",
            NearestMode = "legacy",
        };
        return ResizeKernels.Run(x, Sizes(x.Shape, scales), scales, spec);
    }

    [Op("Resize", 11)]
    public static Tensor Resize(Tensor X, Tensor? roi = null, Tensor? scales = null, Tensor? sizes = null,
        long antialias = 0, long[]? axes = null, string coordinate_transformation_mode = "half_pixel", float cubic_coeff_a = -0.75f,
        long exclude_outside = 0, float extrapolation_value = 0f, string keep_aspect_ratio_policy = "stretch",
        string mode = "nearest", string nearest_mode = "round_prefer_floor")
    {
        int r = X.Rank;
        var ax = axes is null ? Enumerable.Range(0, r).ToArray() : ShapeArgs.Axes(axes, r);
        bool hasScales = scales is not null && scales.Length > 0, hasSizes = sizes is not null && sizes.Length > 0;
        if (hasScales == hasSizes) throw new ArgumentException("Resize: give exactly one of 'scales' and 'sizes'");
        var fullScales = Enumerable.Repeat(1.0, r).ToArray();
        int[] outShape;
        if (hasScales)
        {
            var s = scales!.ToDoubleArray();
            if (s.Length != ax.Length) throw new ArgumentException($"Resize: {s.Length} scales for {ax.Length} axes");
            for (int i = 0; i < ax.Length; i++) fullScales[ax[i]] = s[i];
            outShape = Sizes(X.Shape, fullScales);
        }
        else
        {
            var z = ShapeArgs.Longs(sizes!);
            if (z.Length != ax.Length) throw new ArgumentException($"Resize: {z.Length} sizes for {ax.Length} axes");
            var dims = X.Shape.Select(d => (long)d).ToArray();
            if (keep_aspect_ratio_policy == "stretch")
                for (int i = 0; i < ax.Length; i++)
                {
                    dims[ax[i]] = z[i];
                    fullScales[ax[i]] = (float)z[i] / (float)X.Shape[ax[i]];
                }
            else
            {
                // One scale for all resized axes: the largest that fits (not_larger) or the smallest that covers (not_smaller).
                var ratios = ax.Select((a, i) => (double)((float)z[i] / (float)X.Shape[a])).ToArray();
                double common = keep_aspect_ratio_policy switch
                {
                    "not_larger" => ratios.Min(),
                    "not_smaller" => ratios.Max(),
                    _ => throw new ArgumentException($"Resize: unknown keep_aspect_ratio_policy '{keep_aspect_ratio_policy}'"),
                };
                foreach (int a in ax)
                {
                    fullScales[a] = common;
                    dims[a] = (long)Math.Min(Math.Round(common * X.Shape[a], MidpointRounding.AwayFromZero), Tensor.MaxElements + 1.0);
                }
            }
            outShape = ShapeArgs.Dims(dims, "Resize");
        }
        var spec = new ResizeSpec
        {
            Mode = mode,
            Coordinates = coordinate_transformation_mode,
            NearestMode = nearest_mode,
            CubicA = cubic_coeff_a,
            ExcludeOutside = exclude_outside != 0,
            Extrapolation = extrapolation_value,
            Antialias = antialias != 0,
        };
        if (coordinate_transformation_mode == "tf_crop_and_resize")
        {
            if (roi is null || roi.Length != 2 * ax.Length) throw new ArgumentException($"Resize: tf_crop_and_resize needs roi of length {2 * ax.Length}");
            var v = roi.ToDoubleArray();
            spec.RoiStart = Enumerable.Repeat(0.0, r).ToArray();
            spec.RoiEnd = Enumerable.Repeat(1.0, r).ToArray();
            for (int i = 0; i < ax.Length; i++)
            {
                spec.RoiStart[ax[i]] = v[i];
                spec.RoiEnd[ax[i]] = v[i + ax.Length];
            }
        }
        return ResizeKernels.Run(X, outShape, fullScales, spec);
    }

    /// <summary>⌊n·scale⌋ per dim (product in float32 as ONNX Runtime computes it), refused before allocation when absurd.</summary>
    private static int[] Sizes(int[] shape, double[] scales)
    {
        var dims = new long[shape.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            if (!(scales[d] > 0) || double.IsInfinity(scales[d])) throw new ArgumentException($"Resize: scale {scales[d]} must be positive and finite");
            dims[d] = (long)Math.Min(Math.Floor((double)((float)scales[d] * shape[d])), Tensor.MaxElements + 1.0);
        }
        return ShapeArgs.Dims(dims, "Resize");
    }
}

/// <summary>Interpolation settings of one Resize node.</summary>
internal sealed class ResizeSpec
{
    public string Mode = "nearest";
    public string Coordinates = "half_pixel";
    /// <summary>round_prefer_floor, round_prefer_ceil, floor, ceil, or "legacy" (Upsample/Resize-10).</summary>
    public string NearestMode = "round_prefer_floor";
    public double CubicA = -0.75;
    public bool ExcludeOutside;
    public double Extrapolation;
    public bool Antialias;
    public double[]? RoiStart, RoiEnd;
}
