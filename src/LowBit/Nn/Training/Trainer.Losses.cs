using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>The loss terms a <see cref="TrainerSetup"/> adds to cross-entropy: distillation from a teacher and
/// representation alignment to a guide.</summary>
public sealed partial class Trainer
{
    /// <summary>(1 − α)·task + α·τ²·KL(teacher ‖ student) (<see cref="Losses.Distillation"/>), gradients mixed alike.</summary>
    private LossResult Distill(LossResult task, Tensor logits, Tensor inputs)
    {
        var t = teacher!.Run(new Dictionary<string, Tensor> { [setup.Teacher!.Inputs[0].Name] = inputs })[setup.Teacher.Outputs[0].Name];
        var kd = Losses.Distillation(logits, t, setup.Temperature);
        float a = (float)setup.DistillationWeight;
        var g = Tensor.Empty(DType.Float32, logits.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(task.Gradient.AsReadOnlySpan<float>(), 1 - a, g.AsSpan<float>());
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(kd.Gradient.AsReadOnlySpan<float>(), a, g.AsReadOnlySpan<float>(), g.AsSpan<float>());
        return new LossResult((1 - a) * task.Value + a * kd.Value, g);
    }

    /// <summary>Adds λ·Σ (1 − CKA(student value, guide value)) to the loss and each term's gradient to its student value.</summary>
    private LossResult AlignTo(LossResult loss, Dictionary<string, Tensor> outputs, Tensor inputs, Dictionary<string, Tensor> outputGrads)
    {
        var g = setup.Guide!;
        var reps = guide!.Forward(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = inputs }, training: false, setup.Align.Select(a => a.Guide));
        double total = loss.Value;
        float w = (float)setup.AlignmentWeight;
        foreach (var (student, target) in setup.Align)
        {
            var a = Alignment.Cka(outputs[student], reps[target]);
            total += w * a.Value;
            var d = a.Gradient.AsSpan<float>();
            System.Numerics.Tensors.TensorPrimitives.Multiply(d, w, d);
            if (outputGrads.TryGetValue(student, out var prev))
                System.Numerics.Tensors.TensorPrimitives.Add(prev.AsReadOnlySpan<float>(), d, d);
            outputGrads[student] = a.Gradient;
        }
        return new LossResult(total, outputGrads[outputName]);
    }

    /// <summary>Every aligned name must be a value of its graph.</summary>
    private static void CheckAlignment(Graph.Graph student, Graph.Graph guide, IReadOnlyList<(string Student, string Guide)> pairs)
    {
        if (pairs.Count == 0) throw new LowBitException(ErrorKind.Usage, "--guide needs at least one --align STUDENT=GUIDE pair of value names (lowbit inspect lists them)");
        foreach (var (s, gd) in pairs)
        {
            if (!student.Nodes.Any(n => n.Outputs.Contains(s)))
                throw new LowBitException(ErrorKind.Usage, $"--align {s}={gd}: the model has no value '{s}' computed by a node (lowbit inspect lists them)");
            if (!guide.Nodes.Any(n => n.Outputs.Contains(gd)))
                throw new LowBitException(ErrorKind.Usage, $"--align {s}={gd}: the guide has no value '{gd}' computed by a node (lowbit inspect lists them)");
        }
    }
}
