using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>A model loaded in one engine, as evaluation sees it: named inputs in, named outputs out.</summary>
public interface IModelRunner
{
    /// <summary>"lowbit", "ort", or another short engine name shown in reports.</summary>
    string Engine { get; }
    /// <summary>Inputs a caller must feed.</summary>
    IReadOnlyList<string> InputNames { get; }
    IReadOnlyList<string> OutputNames { get; }
    /// <summary>Runs the model; returns (at least) every output in <see cref="OutputNames"/>.</summary>
    Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs);
}

/// <summary>
/// Makes <see cref="IModelRunner"/>s. LowBit runs graphs itself; other engines come in as a delegate, so this assembly
/// needs no reference to them. ONNX Runtime, for example:
/// <code>ModelRunner.From("ort", ort.InputNames, ort.OutputNames, inputs => ort.Run(inputs))</code>
/// with <c>ort = LowBit.OnnxRuntime.OrtRunner.FromFile(path)</c>.
/// </summary>
public static class ModelRunner
{
    public const string LowBitEngine = "lowbit";
    public const string OrtEngine = "ort";

    /// <summary>Runs <paramref name="graph"/> in LowBit's <see cref="Session"/>.</summary>
    public static IModelRunner LowBit(Graph.Graph graph, SessionOptions? options = null) => new SessionRunner(new Session(graph, options));

    /// <summary>Wraps any engine's run function.</summary>
    public static IModelRunner From(string engine, IReadOnlyList<string> inputNames, IReadOnlyList<string> outputNames,
        Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> run) =>
        new DelegateRunner(engine, inputNames.ToArray(), outputNames.ToArray(), run);

    private sealed class SessionRunner(Session session) : IModelRunner
    {
        public string Engine => LowBitEngine;
        public IReadOnlyList<string> InputNames { get; } = session.Graph.RealInputs.Select(v => v.Name).ToArray();
        public IReadOnlyList<string> OutputNames { get; } = session.Graph.Outputs.Select(v => v.Name).ToArray();
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => session.Run(inputs);
    }

    private sealed class DelegateRunner(string engine, string[] inputs, string[] outputs,
        Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> run) : IModelRunner
    {
        public string Engine => engine;
        public IReadOnlyList<string> InputNames => inputs;
        public IReadOnlyList<string> OutputNames => outputs;
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> x) => run(x);
    }
}
