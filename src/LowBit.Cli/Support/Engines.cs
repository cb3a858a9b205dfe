using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>A model loaded in one engine. <see cref="Prepare"/> converts inputs once and returns a call that only runs
/// the model (for timing loops).</summary>
internal interface IEngine : IDisposable
{
    /// <summary>"lowbit" or "ort".</summary>
    string Name { get; }
    Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs);
    Action Prepare(IReadOnlyDictionary<string, Tensor> inputs);
}

internal static class Engines
{
    public const string LowBit = "lowbit";
    public const string Ort = "ort";

    public static string DisplayName(string engine) => engine == Ort ? "ONNX Runtime" : "LowBit";

    /// <summary>Loads the engine. LowBit refuses models with unsupported operators up front, naming all of them.
    /// ORT loads the file itself (or the modified graph's bytes when <paramref name="fromGraph"/>).</summary>
    public static IEngine Create(string engine, Graph.Graph graph, string modelPath, int threads, bool fromGraph = false, bool ortSpinning = true)
    {
        if (engine == Ort)
            return new OrtEngine(fromGraph ? OrtRunner.FromGraph(graph, threads, spinning: ortSpinning)
                : OrtRunner.FromFile(modelPath, threads, spinning: ortSpinning));
        UnsupportedOps.ThrowIfAny(graph, modelPath);
        return new LowBitEngine(new Session(graph, new SessionOptions(threads)));
    }

    private sealed class LowBitEngine(Session session) : IEngine
    {
        public string Name => LowBit;
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => session.Run(inputs);
        public Action Prepare(IReadOnlyDictionary<string, Tensor> inputs) => () => session.Run(inputs);
        public void Dispose() { }
    }

    private sealed class OrtEngine(OrtRunner runner) : IEngine
    {
        private readonly List<IDisposable> prepared = new();
        public string Name => Ort;
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => runner.Run(inputs);

        public Action Prepare(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var p = runner.Prepare(inputs);
            prepared.Add(p);
            return p.Run;
        }

        public void Dispose()
        {
            foreach (var p in prepared) p.Dispose();
            runner.Dispose();
        }
    }
}
