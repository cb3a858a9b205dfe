using System.CommandLine;
using LowBit.Nn.Training;
using LowBit.Onnx;

namespace LowBit.Cli.Commands;

/// <summary>
/// Distillation flags shared by <c>train</c> and <c>qat</c>: <c>--teacher FILE [--distill-weight α] [--temperature τ]</c>
/// make the loss (1 − α)·cross-entropy + α·τ²·KL(teacher ‖ student) (<see cref="TrainerSetup"/>).
/// </summary>
internal sealed class DistillationOptions
{
    public Option<string?> Teacher { get; } = new("--teacher") { Description = "Distill from this model (in qat usually the float model itself): loss = (1−α)·cross-entropy + α·τ²·KL", HelpName = "FILE" };
    public Option<double?> Weight { get; } = CommonOptions.Number("--distill-weight", 0, exclusive: false, "α, the weight of the distillation term in [0, 1] (default 0.5)", "A");
    public Option<double?> Temperature { get; } = CommonOptions.Number("--temperature", 0, exclusive: true, "τ, the distillation temperature (default 4)", "T");

    public IEnumerable<Symbol> All => [Teacher, Weight, Temperature];

    /// <summary>The setup with the teacher loaded; unchanged without --teacher (--distill-weight or --temperature alone is a
    /// usage error).</summary>
    public TrainerSetup Apply(ParseResult pr, TrainerSetup setup)
    {
        if (pr.GetValue(Teacher) is not string path)
        {
            if (pr.GetResult(Weight) is not null || pr.GetResult(Temperature) is not null)
                throw new LowBitException(ErrorKind.Usage, "--distill-weight and --temperature set distillation; give --teacher FILE");
            return setup;
        }
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"--teacher {path}: file not found");
        return setup with { Teacher = OnnxImporter.Load(path), DistillationWeight = pr.GetValue(Weight) ?? 0.5, Temperature = pr.GetValue(Temperature) ?? 4 };
    }
}
