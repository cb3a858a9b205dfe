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

    /// <summary>The batch size the model's inputs fix (e.g. 1 for models exported with batch 1); null when free.</summary>
    int? FixedBatch => null;
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
    /// <param name="fixedBatch">The batch size the model requires, if its inputs fix one.</param>
    public static IModelRunner From(string engine, IReadOnlyList<string> inputNames, IReadOnlyList<string> outputNames,
        Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> run, int? fixedBatch = null) =>
        new DelegateRunner(engine, inputNames.ToArray(), outputNames.ToArray(), run, fixedBatch);

    private sealed class SessionRunner(Session session) : IModelRunner
    {
        public string Engine => LowBitEngine;
        public IReadOnlyList<string> InputNames { get; } = session.Graph.RealInputs.Select(v => v.Name).ToArray();
        public IReadOnlyList<string> OutputNames { get; } = session.Graph.Outputs.Select(v => v.Name).ToArray();
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => session.Run(inputs);
        public int? FixedBatch { get; } = FirstFixedBatch(session.Graph);
    }

    private static int? FirstFixedBatch(Graph.Graph g)
    {
        foreach (var v in g.RealInputs)
            if (EvalData.BatchSizeFor(v, 0) is int b and > 0) return b;
        return null;
    }

    private sealed class DelegateRunner(string engine, string[] inputs, string[] outputs,
        Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> run, int? fixedBatch) : IModelRunner
    {
        public string Engine => engine;
        public IReadOnlyList<string> InputNames => inputs;
        public IReadOnlyList<string> OutputNames => outputs;
        public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> x) => run(x);
        public int? FixedBatch => fixedBatch;
    }
}
