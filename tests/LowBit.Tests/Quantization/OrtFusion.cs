using LowBit.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace LowBit.Tests.Quantization;

/// <summary>What ONNX Runtime makes of a model: its graph after the QDQ fusions (optimization level "extended", which
/// holds the QDQ selector/action transformers but not the layout changes of "all"), as op type → count.</summary>
public static class OrtFusion
{
    public static Dictionary<string, int> OptimizedOps(Graph.Graph g)
    {
        string path = Path.Combine(Path.GetTempPath(), $"lowbit-ortopt-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var o = new SessionOptions())
            {
                o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
                o.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
                o.OptimizedModelFilePath = path;
                using var s = new InferenceSession(OnnxExporter.ToBytes(g), o);
            }
            var opt = OnnxImporter.Load(path);
            return opt.Nodes.GroupBy(n => n.OpType).ToDictionary(k => k.Key, k => k.Count());
        }
        finally
        {
            if (File.Exists(path)) File.Delete(path);
        }
    }
}
