namespace LowBit.Tensors;

internal static partial class Elementwise
{
    /// <summary>d = c ? x : y with three-way broadcasting, for any storage type (strings included; not packed 4-bit).</summary>
    public static Tensor Where(Tensor c, Tensor x, Tensor y)
    {
        SameType(x, y);
        if (c.DType != DType.Bool) throw new ArgumentException($"condition must be bool, got {c.DType.Name()}");
        if (x.DType.IsPacked4()) throw new NotSupportedException($"Where does not support {x.DType.Name()}");
        return x.Data switch
        {
            float[] => Where<float>(c, x, y),
            double[] => Where<double>(c, x, y),
            Half[] => Where<Half>(c, x, y),
            ushort[] => Where<ushort>(c, x, y),
            sbyte[] => Where<sbyte>(c, x, y),
            byte[] => Where<byte>(c, x, y),
            short[] => Where<short>(c, x, y),
            int[] => Where<int>(c, x, y),
            uint[] => Where<uint>(c, x, y),
            long[] => Where<long>(c, x, y),
            ulong[] => Where<ulong>(c, x, y),
            bool[] => Where<bool>(c, x, y),
            string[] => Where<string>(c, x, y),
            _ => throw new NotSupportedException($"Where does not support {x.DType.Name()}"),
        };
    }

    private static Tensor Where<T>(Tensor c, Tensor x, Tensor y)
    {
        var shape = Broadcast.Shape(c.Shape, x.Shape, y.Shape);
        var r = Tensor.Empty(x.DType, shape);
        int n = r.Length;
        if (n == 0) return r;
        var cs = (bool[])c.Data;
        var xs = (T[])x.Data;
        var ys = (T[])y.Data;
        var ds = (T[])r.Data;
        if (c.Length == n && x.Length == n && y.Length == n)
        {
            Split(n, (s, e) =>
            {
                for (int i = s; i < e; i++) ds[i] = cs[i] ? xs[i] : ys[i];
            });
            return r;
        }
        var plan = BroadcastPlan.Create(shape, c.Shape, x.Shape, y.Shape);
        int inner = plan.Inner;
        int sc = plan.RowStride(0), sx = plan.RowStride(1), sy = plan.RowStride(2);
        ForRows(plan.Rows, n, inner, (r0, r1) =>
        {
            Span<int> index = stackalloc int[plan.Dims.Length];
            Span<int> off = stackalloc int[3];
            plan.Seek(r0, index, off);
            for (int row = r0; row < r1; row++)
            {
                int o = row * inner;
                for (int i = 0; i < inner; i++)
                    ds[o + i] = cs[off[0] + i * sc] ? xs[off[1] + i * sx] : ys[off[2] + i * sy];
                plan.Next(index, off);
            }
        });
        return r;
    }

    /// <summary>Runs body over row ranges, in parallel parts of about <see cref="ParallelGrain"/> elements when the
    /// output (<paramref name="n"/> elements) is large.</summary>
    public static void ForRows(int rows, int n, int inner, Action<int, int> body) =>
        Unwrapped(() => Kernels.Parallelism.ForRange(rows, n < 2 * ParallelGrain || Kernels.Parallelism.Degree <= 1 ? int.MaxValue : Math.Max(1, ParallelGrain / inner), body));
}
