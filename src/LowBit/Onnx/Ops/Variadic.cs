using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Where and the variadic element-wise ops Sum, Mean, Min, Max (numpy broadcasting across all inputs from
/// opset 8; before that all inputs had one shape, which numpy broadcasting also handles).</summary>
internal static class Variadic
{
    [Op("Where", 9)]
    public static Tensor Where(Tensor condition, Tensor X, Tensor Y) => Elementwise.Where(condition, X, Y);

    [Op("Sum", 1)]
    public static Tensor Sum(params Tensor[] data_0) => Fold(data_0, Arithmetic.Add);

    [Op("Max", 1)]
    public static Tensor Max(params Tensor[] data_0) => Fold(data_0, Elementwise.Maximum);

    [Op("Min", 1)]
    public static Tensor Min(params Tensor[] data_0) => Fold(data_0, Elementwise.Minimum);

    /// <summary>Sum / n, accumulated in the input type (float16 accumulates in float32 per pairwise add, rounding each step
    /// as a chain of Add nodes would).</summary>
    [Op("Mean", 1)]
    public static Tensor Mean(params Tensor[] data_0)
    {
        var sum = Sum(data_0);
        var n = Elementwise.ScalarOf(sum.DType, data_0.Length);
        var r = Arithmetic.Div(sum, n);
        if (data_0.Length > 1) Elementwise.Release(sum);
        return r;
    }

    /// <summary>Left fold with broadcasting; intermediate results go back to the pool. One input is returned as is.</summary>
    private static Tensor Fold(Tensor[] inputs, Func<Tensor, Tensor, Tensor> op)
    {
        if (inputs.Length == 0) throw new ArgumentException("needs at least one input");
        var acc = inputs[0];
        for (int i = 1; i < inputs.Length; i++)
        {
            var next = op(acc, inputs[i]);
            if (i > 1) Elementwise.Release(acc);
            acc = next;
        }
        return acc;
    }
}
