using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// RoiAlign (Mask R-CNN, He et al. 2017): each roi (x1, y1, x2, y2) of image batch_indices[r], scaled by spatial_scale,
/// is split into output_height × output_width bins; each bin samples a g_h × g_w grid of points at bin-relative
/// offsets (i + ½)/g (g = sampling_ratio, or ⌈roi size / output size⌉ when 0), reads each point by bilinear
/// interpolation and pools them by average or max. half_pixel (opset 16 default) shifts roi corners by −½ pixel;
/// output_half_pixel (opset 10's only behaviour) does not, and also stretches rois to at least 1 × 1 pixel.
/// Points with y ∉ [−1, H] or x ∉ [−1, W] read 0; others are clamped into the image.
/// max mode follows ONNX Runtime (the behaviour the ONNX reference adopted): the maximum over points of the four
/// weighted corner terms w·v, not of the interpolated values.
/// </summary>
internal static class RoiAlignOps
{
    [Op("RoiAlign", 10)]
    public static Tensor RoiAlignV10(Tensor X, Tensor rois, Tensor batch_indices, string mode = "avg", long output_height = 1,
        long output_width = 1, long sampling_ratio = 0, float spatial_scale = 1f) =>
        RoiAlign(X, rois, batch_indices, "output_half_pixel", mode, output_height, output_width, sampling_ratio, spatial_scale);

    [Op("RoiAlign", 16)]
    public static Tensor RoiAlign(Tensor X, Tensor rois, Tensor batch_indices, string coordinate_transformation_mode = "half_pixel",
        string mode = "avg", long output_height = 1, long output_width = 1, long sampling_ratio = 0, float spatial_scale = 1f)
    {
        if (X.Rank != 4) throw new ArgumentException($"RoiAlign: X must be [N, C, H, W], got {X.ShapeString}");
        if (rois.Rank != 2 || rois.Shape[1] != 4) throw new ArgumentException($"RoiAlign: rois must be [num_rois, 4], got {rois.ShapeString}");
        if (batch_indices.Rank != 1 || batch_indices.Shape[0] != rois.Shape[0])
            throw new ArgumentException($"RoiAlign: batch_indices must be [{rois.Shape[0]}], got {batch_indices.ShapeString}");
        bool halfPixel = coordinate_transformation_mode switch
        {
            "half_pixel" => true,
            "output_half_pixel" => false,
            _ => throw new ArgumentException($"RoiAlign: unknown coordinate_transformation_mode '{coordinate_transformation_mode}'"),
        };
        bool max = mode switch
        {
            "avg" => false,
            "max" => true,
            _ => throw new ArgumentException($"RoiAlign: unknown mode '{mode}' (avg or max)"),
        };
        if (output_height < 1 || output_width < 1)
            throw new ArgumentException($"RoiAlign: output_height/output_width must be ≥ 1, got {output_height}×{output_width}");
        if (sampling_ratio < 0) throw new ArgumentException($"RoiAlign: sampling_ratio {sampling_ratio} must be ≥ 0");
        int n = X.Shape[0], ch = X.Shape[1], h = X.Shape[2], w = X.Shape[3], nr = rois.Shape[0];
        var outShape = ShapeArgs.Dims([nr, ch, output_height, output_width], "RoiAlign");
        int ph = outShape[2], pw = outShape[3];
        var batch = ShapeArgs.Longs(batch_indices);
        foreach (long b in batch)
            if (b < 0 || b >= n) throw new ArgumentException($"RoiAlign: batch index {b} is out of range for {n} images");
        var x = FloatBuffers.Read(X, "RoiAlign: X");
        var r = FloatBuffers.Read(rois, "RoiAlign: rois");
        var y = new double[outShape.Aggregate(1, (p, d) => p * d)];
        double offset = halfPixel ? 0.5 : 0;
        Parallelism.For(nr, roi =>
        {
            double x0 = r[4 * roi] * spatial_scale - offset, y0 = r[4 * roi + 1] * spatial_scale - offset;
            double rw = r[4 * roi + 2] * spatial_scale - offset - x0, rh = r[4 * roi + 3] * spatial_scale - offset - y0;
            if (!halfPixel)
            {
                rw = Math.Max(rw, 1);
                rh = Math.Max(rh, 1);
            }
            double bh = rh / ph, bw = rw / pw;
            // A reversed roi (negative size) has no sample points and pools to 0.
            double gridH = Math.Max(0, sampling_ratio > 0 ? sampling_ratio : Math.Ceiling(rh / ph));
            double gridW = Math.Max(0, sampling_ratio > 0 ? sampling_ratio : Math.Ceiling(rw / pw));
            if (!(gridH * gridW * ph * pw * 4 <= Tensor.MaxElements))
                throw new LowBitException(ErrorKind.InvalidInput, $"RoiAlign: roi {roi} ({rw:G4} × {rh:G4} pixels) needs {gridH}×{gridW} samples per bin; give a sampling_ratio");
            int gh = (int)gridH, gw = (int)gridW;
            int points = Math.Max(gh * gw, 1);
            // Four (pixel offset, weight) corner taps per sample point, shared by every channel.
            var pos = new int[ph * pw * gh * gw * 4];
            var wt = new double[pos.Length];
            int t = 0;
            for (int py = 0; py < ph; py++)
                for (int px = 0; px < pw; px++)
                    for (int iy = 0; iy < gh; iy++)
                        for (int ix = 0; ix < gw; ix++, t += 4)
                            Taps(y0 + py * bh + (iy + 0.5) * bh / gh, x0 + px * bw + (ix + 0.5) * bw / gw, h, w, pos.AsSpan(t, 4), wt.AsSpan(t, 4));
            int perBin = gh * gw * 4;
            for (int c = 0; c < ch; c++)
            {
                long plane = (batch[roi] * ch + c) * (long)h * w;
                int dst = (roi * ch + c) * ph * pw;
                for (int bin = 0; bin < ph * pw; bin++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int k = bin * perBin; k < (bin + 1) * perBin; k++)
                    {
                        double v = wt[k] * x[plane + pos[k]];
                        acc = max ? Math.Max(acc, v) : acc + v;
                    }
                    y[dst + bin] = max ? (perBin == 0 ? 0 : acc) : acc / points;
                }
            }
        });
        return FloatBuffers.Write(y, X.DType, outShape);
    }

    /// <summary>Bilinear taps of point (py, px): outside [−1, H] × [−1, W] all weights are 0; otherwise the point is
    /// clamped to ≥ 0 and to the last row/column, and weights are (1−ly)(1−lx), (1−ly)lx, ly(1−lx), ly·lx.</summary>
    private static void Taps(double py, double px, int h, int w, Span<int> pos, Span<double> wt)
    {
        if (py < -1 || py > h || px < -1 || px > w || h == 0 || w == 0)
        {
            pos.Clear();
            wt.Clear();
            return;
        }
        py = Math.Max(py, 0);
        px = Math.Max(px, 0);
        int yl = (int)py, xl = (int)px, yh, xh;
        if (yl >= h - 1) { yl = yh = h - 1; py = yl; } else yh = yl + 1;
        if (xl >= w - 1) { xl = xh = w - 1; px = xl; } else xh = xl + 1;
        double ly = py - yl, lx = px - xl, hy = 1 - ly, hx = 1 - lx;
        pos[0] = yl * w + xl; wt[0] = hy * hx;
        pos[1] = yl * w + xh; wt[1] = hy * lx;
        pos[2] = yh * w + xl; wt[2] = ly * hx;
        pos[3] = yh * w + xh; wt[3] = ly * lx;
    }
}
