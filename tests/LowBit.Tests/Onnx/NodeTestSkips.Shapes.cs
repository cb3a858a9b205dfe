namespace LowBit.Tests.Onnx;

public static partial class NodeTestSkips
{
    /// <summary>Tensor-layout, generator, control-flow, recurrent and resize ops.</summary>
    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["test_training_dropout"] = "training-mode Dropout with ratio 0.75: the expected mask comes from numpy's RandomState(seed 0); masks are random by definition and not reproducible across runtimes",
        ["test_training_dropout_mask"] = "training-mode Dropout with ratio 0.75: the expected mask comes from numpy's RandomState(seed 0); masks are random by definition and not reproducible across runtimes",
        ["test_training_dropout_default"] = "training-mode Dropout with ratio 0.5: the expected mask comes from numpy's RandomState(seed 0); masks are random by definition and not reproducible across runtimes",
        ["test_training_dropout_default_mask"] = "training-mode Dropout with ratio 0.5: the expected mask comes from numpy's RandomState(seed 0); masks are random by definition and not reproducible across runtimes",
    };
}
