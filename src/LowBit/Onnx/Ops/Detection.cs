using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// NonMaxSuppression (opset 10/11): for each (batch, class), boxes whose score is above score_threshold are visited by
/// score, highest first (ties: lower box index first); a box is kept unless its IoU with an already kept box of the same
/// class exceeds iou_threshold, until max_output_boxes_per_class are kept. Output [kept, 3] int64 rows
/// (batch, class, box), grouped by batch then class, in keeping order.
/// Boxes are [y1, x1, y2, x2] with either corner pair (center_point_box = 0) or [x_c, y_c, w, h] (1).
/// IoU = |A∩B| / (|A| + |B| − |A∩B|), and boxes with an empty intersection or a non-positive area never suppress.
/// IoU is computed in float32, like ONNX Runtime, so decisions at the threshold agree with it.
/// </summary>
internal static class DetectionOps
{
    [Op("NonMaxSuppression", 10)]
    public static Tensor NonMaxSuppression(Tensor boxes, Tensor scores, Tensor? max_output_boxes_per_class = null,
        Tensor? iou_threshold = null, Tensor? score_threshold = null, long center_point_box = 0)
    {
        if (boxes.Rank != 3 || boxes.Shape[2] != 4)
            throw new ArgumentException($"NonMaxSuppression: boxes must be [batch, boxes, 4], got {boxes.ShapeString}");
        if (scores.Rank != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1])
            throw new ArgumentException($"NonMaxSuppression: scores must be [batch, classes, boxes] = [{boxes.Shape[0]}, C, {boxes.Shape[1]}], got {scores.ShapeString}");
        if (center_point_box is not (0 or 1))
            throw new ArgumentException($"NonMaxSuppression: center_point_box must be 0 or 1, got {center_point_box}");
        long maxOut = max_output_boxes_per_class is null || max_output_boxes_per_class.Length == 0 ? 0
            : FloatBuffers.ScalarInt(max_output_boxes_per_class, "NonMaxSuppression: max_output_boxes_per_class");
        float iou = iou_threshold is null || iou_threshold.Length == 0 ? 0f
            : (float)FloatBuffers.ScalarFloat(iou_threshold, "NonMaxSuppression: iou_threshold");
        if (!(iou >= 0 && iou <= 1)) throw new ArgumentException($"NonMaxSuppression: iou_threshold {iou} must be in [0, 1]");
        bool hasFloor = score_threshold is not null && score_threshold.Length > 0;
        float floor = hasFloor ? (float)FloatBuffers.ScalarFloat(score_threshold!, "NonMaxSuppression: score_threshold") : 0f;

        int batches = boxes.Shape[0], count = boxes.Shape[1], classes = scores.Shape[1];
        var corners = Corners(boxes.ToFloatArray(), center_point_box == 1);
        var s = scores.ToFloatArray();
        var rows = new List<(int B, int C, int Box)>();
        var order = new List<int>();
        var kept = new List<int>();
        for (int b = 0; b < batches; b++)
            for (int c = 0; c < classes && maxOut > 0; c++)
            {
                int baseS = (b * classes + c) * count;
                order.Clear();
                for (int i = 0; i < count; i++)
                    if (!float.IsNaN(s[baseS + i]) && (!hasFloor || s[baseS + i] > floor)) order.Add(i);
                order.Sort((p, q) => s[baseS + p] != s[baseS + q] ? s[baseS + q].CompareTo(s[baseS + p]) : p.CompareTo(q));
                kept.Clear();
                foreach (int i in order)
                {
                    if (kept.Count >= maxOut) break;
                    int bi = b * count + i;
                    if (kept.Exists(k => Suppresses(corners, b * count + k, bi, iou))) continue;
                    kept.Add(i);
                    rows.Add((b, c, i));
                }
            }
        var y = Tensor.Empty(DType.Int64, rows.Count, 3);
        var o = y.AsSpan<long>();
        for (int i = 0; i < rows.Count; i++)
        {
            o[3 * i] = rows[i].B;
            o[3 * i + 1] = rows[i].C;
            o[3 * i + 2] = rows[i].Box;
        }
        return y;
    }

    /// <summary>Boxes as (xmin, ymin, xmax, ymax) per box, whatever the input convention and corner order.</summary>
    private static float[] Corners(float[] raw, bool centerPoint)
    {
        var c = new float[raw.Length];
        for (int i = 0; i < raw.Length; i += 4)
        {
            if (centerPoint)
            {
                float hw = raw[i + 2] / 2, hh = raw[i + 3] / 2;
                c[i] = raw[i] - hw;
                c[i + 1] = raw[i + 1] - hh;
                c[i + 2] = raw[i] + hw;
                c[i + 3] = raw[i + 1] + hh;
            }
            else
            {
                c[i] = Math.Min(raw[i + 1], raw[i + 3]);
                c[i + 1] = Math.Min(raw[i], raw[i + 2]);
                c[i + 2] = Math.Max(raw[i + 1], raw[i + 3]);
                c[i + 3] = Math.Max(raw[i], raw[i + 2]);
            }
        }
        return c;
    }

    /// <summary>IoU(a, b) &gt; threshold, with empty intersections and degenerate boxes never suppressing.</summary>
    private static bool Suppresses(float[] c, int a, int b, float threshold)
    {
        int p = 4 * a, q = 4 * b;
        float ix0 = Math.Max(c[p], c[q]), ix1 = Math.Min(c[p + 2], c[q + 2]);
        if (ix1 <= ix0) return false;
        float iy0 = Math.Max(c[p + 1], c[q + 1]), iy1 = Math.Min(c[p + 3], c[q + 3]);
        if (iy1 <= iy0) return false;
        float inter = (ix1 - ix0) * (iy1 - iy0);
        float areaA = (c[p + 2] - c[p]) * (c[p + 3] - c[p + 1]);
        float areaB = (c[q + 2] - c[q]) * (c[q + 3] - c[q + 1]);
        float union = areaA + areaB - inter;
        if (inter <= 0 || areaA <= 0 || areaB <= 0 || union <= 0) return false;
        return inter / union > threshold;
    }
}
