namespace LowBit.Runtime.Autograd;

/// <summary>
/// Marks a static method as the backward of an ONNX operator (from opset <paramref name="since"/>). It is written next to
/// the op's forward and bound like one (see <see cref="Onnx.OpAttribute"/>): <c>Tensor</c> parameters receive the forward
/// inputs in order, other parameters the node's attributes, and a <see cref="GradContext"/> parameter the forward outputs,
/// the output gradients and which input gradients are needed. It returns one gradient per forward input (null where not
/// needed or not differentiable), each with the shape of its input (broadcasts summed back, see <see cref="GradMath.SumToShape"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class GradAttribute(string opType, int since = 1, string domain = "") : Attribute
{
    public string OpType { get; } = opType;
    public int Since { get; } = since;
    public string Domain { get; } = domain;
}
