using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Runtime.Autograd;

/// <summary>What a backward function sees besides the forward inputs and attributes.</summary>
internal sealed class GradContext : OpContext
{
    public required Tensor?[] Outputs { get; init; }
    /// <summary>dLoss/dOutput per forward output; null where the output does not reach the loss.</summary>
    public required Tensor?[] OutputGrads { get; init; }
    /// <summary>Whether dLoss/dInput[i] is wanted (the input depends on a parameter being trained).</summary>
    public required bool[] NeedsInputGrad { get; init; }

    public bool Needs(int input) => input < NeedsInputGrad.Length && NeedsInputGrad[input];

    /// <summary>Gradient of output <paramref name="i"/>, or zeros of the output's shape when it does not reach the loss.</summary>
    public Tensor OutputGrad(int i = 0) =>
        OutputGrads[i] ?? Tensor.Zeros(Outputs[i]!.DType, Outputs[i]!.Shape);
}
