namespace LowBit.Tests.Onnx;

/// <summary>
/// Node cases of the signal, window, detection and sampling ops (DFT, STFT, Hann/Hamming/BlackmanWindow,
/// MelWeightMatrix, NonMaxSuppression, RoiAlign, GridSample, MaxUnpool) that are not run. Every backend case of these
/// ops passes except the one below.
/// </summary>
public static partial class NodeTestSkips
{
    private static readonly Dictionary<string, string> Signal = new()
    {
        ["test_maxunpool_export_with_output_shape"] = "its hand-written expectation reads indices [5,7,13,15] in the inferred 4×4 " +
            "layout inside the 5×5 output_shape; MaxPool's indices address its input (of shape output_shape), and ONNX Runtime and " +
            "LowBit read them in the 5×5 layout (MaxUnpoolTests.MaxUnpool_OutputShapeNodeCase_MatchesOnnxRuntimeNotHandWrittenExpectation)",
    };
}
