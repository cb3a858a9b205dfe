using LowBit.Tensors;

namespace LowBit.Tests;

/// <summary>Tensor comparisons for tests: shape and dtype must match; floats within |a − e| ≤ atol + rtol·|e|
/// (NaN equals NaN, infinities must match); integers, bools and strings exactly.</summary>
public static class TensorAssert
{
    public static void Close(Tensor expected, Tensor actual, double rtol, double atol, string what = "")
    {
        Assert.True(expected.DType == actual.DType, $"{what}: dtype {actual.DType.Name()} != expected {expected.DType.Name()}");
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString} != expected {expected.ShapeString}");
        if (expected.DType == DType.String)
        {
            Assert.Equal(expected.AsSpan<string>().ToArray(), actual.AsSpan<string>().ToArray());
            return;
        }
        bool exact = !expected.DType.IsFloat();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected.GetDouble(i), a = actual.GetDouble(i);
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (double.IsInfinity(e) || exact)
            {
                Assert.True(e == a, $"{what}: element {i} is {a}, expected {e}");
                continue;
            }
            Assert.True(Math.Abs(a - e) <= atol + rtol * Math.Abs(e), $"{what}: element {i} is {a}, expected {e} (rtol {rtol}, atol {atol})");
        }
    }

    /// <summary>max |a − e| ≤ tol · max |e| (the parity criterion against ONNX Runtime).</summary>
    public static void RelativeMax(Tensor expected, Tensor actual, double tol, string what = "")
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString} != expected {expected.ShapeString}");
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double maxE = e.Length == 0 ? 0 : e.Max(Math.Abs), maxD = 0;
        for (int i = 0; i < e.Length; i++) maxD = Math.Max(maxD, Math.Abs(a[i] - e[i]));
        Assert.True(maxD <= tol * maxE, $"{what}: max |diff| {maxD:G4} > {tol} × max |expected| {maxE:G4}");
    }
}

/// <summary>Locates the repository root (the folder with LowBit.slnx) from the test binary.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var meta = typeof(RepoPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepoRoot");
        if (meta?.Value is string root && File.Exists(Path.Combine(root, "LowBit.slnx"))) return root;
        throw new InvalidOperationException("repository root (LowBit.slnx) not found");
    }
}
