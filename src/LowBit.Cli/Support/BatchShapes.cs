using LowBit.Graph;

namespace LowBit.Cli.Support;

/// <summary>
/// Applies <c>bench --batch N</c> to a graph: the first dim of every input (and output) becomes the batch. Symbolic or
/// unknown first dims take N as they are. A fixed first dim of 1 is relaxed to a symbolic "batch" dim when N ≠ 1 (and the
/// intermediate value_info, which may pin batch 1, is dropped); any other fixed first dim must equal N.
/// </summary>
internal static class BatchShapes
{
    /// <summary>Returns true when the graph was changed (then ONNX Runtime must load the changed graph, not the file).</summary>
    public static bool Apply(Graph.Graph g, int batch)
    {
        bool changed = false;
        foreach (var v in g.Inputs)
        {
            if (v.Shape is null)
                throw new LowBitException(ErrorKind.InvalidInput, $"--batch {batch}: input '{v.Name}' has no declared shape");
            if (v.Shape.Length == 0)
                throw new LowBitException(ErrorKind.InvalidInput, $"--batch {batch}: input '{v.Name}' is a scalar; it has no batch dimension");
            if (v.Shape[0].Value is long fixedDim && fixedDim != batch)
            {
                if (fixedDim != 1)
                    throw new LowBitException(ErrorKind.InvalidInput,
                        $"--batch {batch}: input '{v.Name}' has a fixed first dimension of {fixedDim} ({v.ShapeString}); " +
                        $"use --batch {fixedDim} or a model exported with a symbolic batch dimension");
                changed = true;
            }
        }
        if (!changed) return false;
        Relax(g.Inputs);
        Relax(g.Outputs);
        g.ValueInfos.Clear();
        return true;
    }

    private static void Relax(List<ValueInfo> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (v.Shape is { Length: > 0 } s && s[0].Value == 1)
                values[i] = v with { Shape = s.Skip(1).Prepend(Dim.Symbolic("batch")).ToArray() };
        }
    }
}
