using System.Runtime.InteropServices;
using LowBit.Onnx;
using LowBit.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace LowBit.OnnxRuntime;

/// <summary>
/// Runs a model in ONNX Runtime (the deployment target and the oracle, DESIGN.md §1). Tensors cross as copies.
/// </summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession session;

    public IReadOnlyList<string> InputNames => session.InputNames;
    public IReadOnlyList<string> OutputNames => session.OutputNames;

    private OrtRunner(InferenceSession session) => this.session = session;

    /// <summary>Loads a model file (external data resolved by ONNX Runtime relative to the file).</summary>
    public static OrtRunner FromFile(string path, int threads = 0, bool optimize = true, bool spinning = true) =>
        Create(o => new InferenceSession(path, o), threads, optimize, path, spinning);

    /// <summary>Loads an in-memory graph by exporting it.</summary>
    public static OrtRunner FromGraph(Graph.Graph graph, int threads = 0, bool optimize = true, bool spinning = true) =>
        FromBytes(OnnxExporter.ToBytes(graph), threads, optimize, spinning);

    public static OrtRunner FromBytes(byte[] model, int threads = 0, bool optimize = true, bool spinning = true) =>
        Create(o => new InferenceSession(model, o), threads, optimize, "model", spinning);

    /// <param name="spinning">Whether idle intra-op threads busy-wait for the next work item (ORT's default). Turned off
    /// when runs of another engine are interleaved, so ORT's spinning threads do not steal their cores.</param>
    private static OrtRunner Create(Func<Microsoft.ML.OnnxRuntime.SessionOptions, InferenceSession> make, int threads, bool optimize, string name, bool spinning = true)
    {
        using var o = new Microsoft.ML.OnnxRuntime.SessionOptions();
        o.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        if (threads > 0)
        {
            o.IntraOpNumThreads = threads;
            o.InterOpNumThreads = 1;
        }
        if (!spinning) o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        o.GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL;
        try
        {
            return new OrtRunner(make(o));
        }
        catch (OnnxRuntimeException e)
        {
            throw new LowBitException(ErrorKind.InvalidModel, $"{name}: ONNX Runtime cannot load it: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Runs with named inputs; returns the requested outputs (default: all).</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string>? outputNames = null)
    {
        var names = outputNames ?? session.OutputNames;
        var values = new List<OrtValue>();
        try
        {
            foreach (var t in inputs.Values) values.Add(ToOrt(t));
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Keys.ToArray(), values, names.ToArray());
            var r = new Dictionary<string, Tensor>();
            for (int i = 0; i < names.Count; i++) r[names[i]] = FromOrt(results[i]);
            return r;
        }
        catch (OnnxRuntimeException e)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"ONNX Runtime: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Runs with pre-made ORT values (for benchmarks: no conversion in the timed loop).</summary>
    public void RunPrepared(string[] inputNames, OrtValue[] inputs, string[] outputNames)
    {
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, inputNames, inputs, outputNames);
    }

    /// <summary>Converts the inputs once; the returned run only executes the model (zero input copies per call), for
    /// timing loops. Outputs are produced and released each call.</summary>
    public PreparedRun Prepare(IReadOnlyDictionary<string, Tensor> inputs) => new(this, inputs);

    public sealed class PreparedRun : IDisposable
    {
        private readonly InferenceSession session;
        private readonly string[] inputNames, outputNames;
        private readonly OrtValue[] values;
        private readonly RunOptions runOptions = new();

        internal PreparedRun(OrtRunner runner, IReadOnlyDictionary<string, Tensor> inputs)
        {
            session = runner.session;
            inputNames = inputs.Keys.ToArray();
            outputNames = session.OutputNames.ToArray();
            values = inputs.Values.Select(ToOrt).ToArray();
        }

        public void Run()
        {
            try
            {
                using var results = session.Run(runOptions, inputNames, values, outputNames);
            }
            catch (OnnxRuntimeException e)
            {
                throw new LowBitException(ErrorKind.InvalidInput, $"ONNX Runtime: {e.Message.Split('\n')[0]}");
            }
        }

        public void Dispose()
        {
            foreach (var v in values) v.Dispose();
            runOptions.Dispose();
        }
    }

    internal static OrtValue ToOrt(Tensor t)
    {
        var shape = t.Shape.Select(d => (long)d).ToArray();
        if (t.DType == DType.String)
        {
            var v = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
            var s = t.AsSpan<string>();
            for (int i = 0; i < s.Length; i++) v.StringTensorSetElementAt(s[i].AsSpan(), i);
            return v;
        }
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)(int)t.DType, shape);
        t.RawBytes().CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    internal static Tensor FromOrt(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        var dtype = (DType)(int)info.ElementDataType;
        var shape = info.Shape.Select(d => checked((int)d)).ToArray();
        if (dtype == DType.String) return Tensor.FromArray(v.GetStringTensorAsArray(), shape);
        var t = Tensor.Zeros(dtype, shape);
        var src = v.GetTensorMutableRawData();
        var dst = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(t.Data), src.Length);
        src.CopyTo(dst);
        return t;
    }

    public void Dispose() => session.Dispose();
}
