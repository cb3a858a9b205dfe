using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Scan: body(s_1..s_N, x_1..x_M) → (s_1'..s_N', y_1..y_K), run once per position t of the scan inputs. Each x_j is
/// the slice of scan input j at t along its axis (t counted from the end for direction 1); each y_k is stacked along
/// its output axis (prepended for direction 1). Scan-8 has a leading batch axis on every input and output and runs the
/// body per batch item.
/// </summary>
internal static class ScanOps
{
    [Op("Scan", 9)]
    public static Tensor?[] Scan(OpContext ctx, Graph.Graph body, long num_scan_inputs, long[]? scan_input_axes = null,
        long[]? scan_input_directions = null, long[]? scan_output_axes = null, long[]? scan_output_directions = null,
        params Tensor[] initial_state_and_scan_inputs)
    {
        var all = initial_state_and_scan_inputs;
        int m = (int)num_scan_inputs, n = all.Length - m;
        if (m < 1 || n < 0) throw ctx.Error($"num_scan_inputs {num_scan_inputs} does not fit {all.Length} inputs");
        var scanIn = all[n..];
        var inAxes = scanIn.Select((x, j) => ShapeArgs.Axis(scan_input_axes?[j] ?? 0, x.Rank, "scan_input_axes")).ToArray();
        var (states, outs) = Core(ctx, body, all[..n], scanIn, inAxes, scan_input_directions, ctx.OutputCount - n, null);
        var result = new Tensor?[n + outs.Length];
        for (int j = 0; j < n; j++) result[j] = states[j];
        for (int k = 0; k < outs.Length; k++)
        {
            if (outs[k].Count == 0) throw ctx.Error("scan inputs have length 0: the scan output shapes are unknown");
            bool reverse = (scan_output_directions?[k] ?? 0) != 0;
            var list = reverse ? outs[k].AsEnumerable().Reverse().ToList() : outs[k];
            int axis = ShapeArgs.Axis(scan_output_axes?[k] ?? 0, list[0].Rank + 1, "scan_output_axes");
            result[n + k] = ControlFlow.Stack(list, axis);
        }
        return result;
    }

    /// <summary>Scan-8: optional sequence_lens, batch axis 0 everywhere, scan axis 1; positions past an item's length are
    /// zero in the scan outputs.</summary>
    [Op("Scan", 8)]
    public static Tensor?[] ScanV8(OpContext ctx, Graph.Graph body, long num_scan_inputs, Tensor? sequence_lens = null,
        long[]? directions = null, params Tensor[] initial_state_and_scan_inputs)
    {
        var all = initial_state_and_scan_inputs;
        int m = (int)num_scan_inputs, n = all.Length - m, k = ctx.OutputCount - n;
        if (m < 1 || n < 0 || all.Length == 0) throw ctx.Error($"num_scan_inputs {num_scan_inputs} does not fit {all.Length} inputs");
        int batch = all[0].Shape[0], len = all[n].Shape[1];
        var lens = sequence_lens is null || sequence_lens.Length == 0 ? null : ShapeArgs.Longs(sequence_lens);
        var stateOut = Enumerable.Range(0, n).Select(_ => new List<Tensor>()).ToArray();
        var scanOut = Enumerable.Range(0, k).Select(_ => new List<Tensor>()).ToArray();
        for (int b = 0; b < batch; b++)
        {
            var items = all.Select(t => Item(t, b)).ToArray();
            int steps = lens is null ? len : (int)Math.Clamp(lens[b], 0, len);
            var scanIn = items[n..].Select(x => ConcatOps.Narrow(Elements.Unpack(x), 0, 0, steps)).ToArray();
            var (states, outs) = Core(ctx, body, items[..n], scanIn, new int[m], directions, k, steps);
            for (int j = 0; j < n; j++) stateOut[j].Add(states[j]);
            for (int j = 0; j < k; j++)
            {
                if (outs[j].Count == 0) throw ctx.Error($"batch item {b} has length 0: the scan output shapes are unknown");
                var stacked = ControlFlow.Stack(outs[j], 0);
                if (steps < len)
                {
                    // Pad [steps, ...] with zeros to [len, ...].
                    var pads = new long[2 * stacked.Rank];
                    pads[stacked.Rank] = len - steps;
                    stacked = PadOps.Pad(stacked, Tensor.FromArray(pads, pads.Length));
                }
                scanOut[j].Add(stacked);
            }
        }
        var result = new Tensor?[n + k];
        for (int j = 0; j < n; j++) result[j] = ControlFlow.Stack(stateOut[j], 0);
        for (int j = 0; j < k; j++) result[n + j] = ControlFlow.Stack(scanOut[j], 0);
        return result;
    }

    private static Tensor Item(Tensor t, int b)
    {
        var slice = ConcatOps.Narrow(Elements.Unpack(t), 0, b, 1);
        return Elements.Repack(slice.Reshape(t.Shape[1..]), t.DType);
    }

    private static (Tensor[] States, List<Tensor>[] Outs) Core(OpContext ctx, Graph.Graph body, Tensor[] init, Tensor[] scanIn,
        int[] axes, long[]? directions, int k, int? steps)
    {
        int n = init.Length, m = scanIn.Length;
        if (body.Inputs.Count != n + m || body.Outputs.Count != n + k)
            throw ctx.Error($"body has {body.Inputs.Count} inputs / {body.Outputs.Count} outputs, expected {n + m} / {n + k}");
        int len = steps ?? scanIn[0].Shape[axes[0]];
        for (int j = 0; j < m; j++)
            if (scanIn[j].Shape[axes[j]] != len) throw ctx.Error($"scan inputs have different lengths ({len} and {scanIn[j].Shape[axes[j]]})");
        var state = (Tensor[])init.Clone();
        var outs = Enumerable.Range(0, k).Select(_ => new List<Tensor>()).ToArray();
        var unpacked = scanIn.Select(Elements.Unpack).ToArray();
        using var unpooled = ControlFlow.Unpooled();
        for (int t = 0; t < len; t++)
        {
            var args = new Tensor?[n + m];
            for (int j = 0; j < n; j++) args[j] = state[j];
            for (int j = 0; j < m; j++)
            {
                int pos = (directions?.ElementAtOrDefault(j) ?? 0) != 0 ? len - 1 - t : t;
                var slice = ConcatOps.Narrow(unpacked[j], axes[j], pos, 1);
                var shape = scanIn[j].Shape.Where((_, d) => d != axes[j]).ToArray();
                args[n + j] = Elements.Repack(slice.Reshape(shape), scanIn[j].DType);
            }
            var r = ControlFlow.Run(ctx, body, args);
            for (int j = 0; j < n; j++) state[j] = r[j];
            for (int j = 0; j < k; j++) outs[j].Add(r[n + j]);
        }
        return (state, outs);
    }
}
