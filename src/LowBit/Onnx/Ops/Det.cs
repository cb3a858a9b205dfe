using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Det-11: determinants of the trailing [M, M] matrices of X [*, M, M] → [*].</summary>
internal static class DetOps
{
    /// <summary>LU with partial pivoting in float64 (PA = LU, det = (−1)^swaps · Π u_ii), rounded once to the input
    /// type. Pivoting on the largest |a_ik| keeps every multiplier ≤ 1, so the error stays a few ulp of the float64
    /// result for well-conditioned matrices; a zero pivot column means det = 0 exactly.</summary>
    [Op("Det", 11)]
    public static Tensor Det(Tensor X)
    {
        if (!X.DType.IsFloat()) throw new ArgumentException($"Det takes float tensors, got {X.DType.Name()}");
        if (X.Rank < 2 || X.Shape[^1] != X.Shape[^2])
            throw new ArgumentException($"Det needs square matrices in the last two dims, got {X.ShapeString}");
        int m = X.Shape[^1];
        var outShape = X.Shape[..^2];
        int count = ShapeArgs.Product(outShape, 0, outShape.Length);
        var all = X.ToDoubleArray();
        var result = new double[count];
        var a = new double[m * m];
        for (int k = 0; k < count; k++)
        {
            Array.Copy(all, k * m * m, a, 0, m * m);
            result[k] = Determinant(a, m);
        }
        return Elementwise.Cast(Tensor.FromArray(result, outShape), X.DType);
    }

    /// <summary>Determinant of the row-major m×m matrix <paramref name="a"/> (overwritten with its U factor).</summary>
    internal static double Determinant(double[] a, int m)
    {
        double det = 1;
        for (int col = 0; col < m; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < m; r++)
                if (Math.Abs(a[r * m + col]) > Math.Abs(a[pivot * m + col])) pivot = r;
            double p = a[pivot * m + col];
            if (p == 0) return double.IsNaN(det) ? det : 0;
            if (pivot != col)
            {
                for (int j = col; j < m; j++) (a[col * m + j], a[pivot * m + j]) = (a[pivot * m + j], a[col * m + j]);
                det = -det;
            }
            det *= p;
            for (int r = col + 1; r < m; r++)
            {
                double f = a[r * m + col] / p;
                if (f == 0) continue;
                for (int j = col + 1; j < m; j++) a[r * m + j] -= f * a[col * m + j];
            }
        }
        return det;
    }
}
