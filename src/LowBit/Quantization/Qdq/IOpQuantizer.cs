namespace LowBit.Quantization.Qdq;

/// <summary>
/// Marks which inputs and outputs of one node to quantize (DESIGN.md §3 "op quantizer"): weights, activations, bias,
/// shared scales. It only declares intent through <see cref="NodeMarker"/>; <see cref="QdqRewriter"/> inserts the nodes.
/// The same marks serve every mode: the marker ignores activation marks in weight-only mode.
/// </summary>
internal interface IOpQuantizer
{
    void Mark(NodeMarker m);
}
