using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>
/// Proof that an exported model deploys: ONNX Runtime loads the file (with its default graph optimizations, which is where
/// QDQ groups become QLinear*/MatMulInteger kernels and unsupported element types surface) and runs it once. A model that
/// fails is deleted together with its companions, so a command never reports success for a file nobody can run.
/// </summary>
internal static class ExportCheck
{
    /// <summary>Loads and runs <paramref name="path"/> on <paramref name="inputs"/>; on failure removes <paramref name="path"/>
    /// and <paramref name="companions"/> and throws a one-line error naming the flag, the file and ONNX Runtime's reason.</summary>
    public static void Run(string flag, string path, IReadOnlyDictionary<string, Tensor> inputs, int threads, IEnumerable<string> companions,
        string? hint = null)
    {
        try
        {
            using var ort = OrtRunner.FromFile(path, threads);
            ort.Run(inputs);
        }
        catch (LowBitException e)
        {
            OutputFiles.Remove([path, .. companions]);
            // OrtRunner's messages start with the file name or "ONNX Runtime:"; keep only ORT's reason.
            string reason = e.Message.Contains("ONNX Runtime", StringComparison.Ordinal)
                ? e.Message[(e.Message.IndexOf("ONNX Runtime", StringComparison.Ordinal) + "ONNX Runtime".Length)..].TrimStart(':', ' ')
                : e.Message;
            reason = reason.StartsWith("cannot load it:", StringComparison.Ordinal) ? reason["cannot load it:".Length..].Trim() : reason;
            throw new LowBitException(ErrorKind.UnsupportedOp,
                $"{flag} {path}: ONNX Runtime cannot run the exported model, so it was not kept: {CliContext.OneLine(reason)}" +
                (hint is null ? "" : $"; {hint}"), e);
        }
    }
}
