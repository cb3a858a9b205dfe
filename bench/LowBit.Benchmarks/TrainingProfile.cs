using System.Diagnostics;
using LowBit.Kernels;
using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Onnx;
using LowBit.Runtime;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Benchmarks;

/// <summary>
/// Where a training step's time goes: the forward and backward of <see cref="TrainingSession"/> replayed node by node
/// (same binding, same contexts), timed per op type (wall time, or process CPU time with --cpu), the median over steps.
/// For finding hot spots, not for quoting.
/// </summary>
internal static class TrainingProfile
{
    private static bool cpuTime;
    private static readonly Process Self = Process.GetCurrentProcess();

    /// <summary>Milliseconds of wall time, or with --cpu of process CPU time (all threads; on a loaded machine it
    /// excludes waiting for a core).</summary>
    private static double Now()
    {
        if (!cpuTime) return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        Self.Refresh();
        return Self.TotalProcessorTime.TotalMilliseconds;
    }

    public static void Run(string model, int batch, int threads, int steps, bool detail, bool cpu)
    {
        cpuTime = cpu;
        var g = ModelZoo.Build(model);
        var plan = new ExecutionPlan(g);
        var rng = new Random(1);
        var x = Tensor.FromArray(Enumerable.Range(0, batch * 28 * 28).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), batch, 1, 28, 28);
        var targets = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => rng.NextInt64(10)).ToArray(), batch);
        var wrt = Parameters.Trainable(g).Select(n => plan.SlotOf[n]).ToHashSet();
        var times = new Dictionary<string, List<double>>();
        var gradOps = new Dictionary<Graph.Node, BoundOp>();
        int saved = Parallelism.Degree;
        Parallelism.Degree = threads;
        long faults0 = MinorFaults();
        try
        {
            for (int s = 0; s < steps + 1; s++)
            {
                var step = new Dictionary<string, double>();
                void Add(string key, double ms) => step[key] = step.GetValueOrDefault(key) + ms;
                var env = new Tensor?[plan.SlotNames.Count];
                foreach (var (slot, value) in plan.Constants) env[slot] = value;
                env[plan.SlotOf[g.Inputs[0].Name]] = x;
                var tape = new List<(ExecutionPlan.Step Step, Tensor?[] Ins, Tensor?[] Outs, object? Saved)>();
                foreach (var st in plan.Steps)
                {
                    var ins = st.Inputs.Select(i => i >= 0 ? env[i] : null).ToArray();
                    var ctx = new OpContext { Node = st.Op.Node, Opset = st.Op.Opset, Training = true, Rng = rng };
                    double t0 = Now();
                    var outs = st.Op.Invoke(ctx, ins);
                    Add("fwd " + st.Op.Node.OpType, Now() - t0);
                    for (int o = 0; o < st.Outputs.Length; o++) if (st.Outputs[o] >= 0 && o < outs.Length) env[st.Outputs[o]] = outs[o];
                    tape.Add((st, ins, outs, ctx.Saved));
                }
                double tl = Now();
                var loss = Losses.CrossEntropy(env[plan.SlotOf["logits"]]!, targets);
                Add("loss", Now() - tl);
                var requires = new bool[plan.SlotNames.Count];
                foreach (int w in wrt) requires[w] = true;
                foreach (var e in tape)
                    if (e.Step.Inputs.Any(i => i >= 0 && requires[i])) foreach (int o in e.Step.Outputs) if (o >= 0) requires[o] = true;
                var grads = new Tensor?[plan.SlotNames.Count];
                grads[plan.SlotOf["logits"]] = loss.Gradient;
                for (int k = tape.Count - 1; k >= 0; k--)
                {
                    var (st, ins, outs, sv) = tape[k];
                    var outGrads = st.Outputs.Select(o => o >= 0 ? grads[o] : null).ToArray();
                    var needs = st.Inputs.Select(i => i >= 0 && requires[i]).ToArray();
                    if (outGrads.All(o => o is null) || !needs.Any(n => n)) continue;
                    var node = st.Op.Node;
                    if (!gradOps.TryGetValue(node, out var gop)) gradOps[node] = gop = GradTable.Bind(node, st.Op.Opset);
                    var ctx = new GradContext { Node = node, Opset = st.Op.Opset, Training = true, Saved = sv, Outputs = outs, OutputGrads = outGrads, NeedsInputGrad = needs };
                    double t0 = Now();
                    var inGrads = gop.Invoke(ctx, ins);
                    Add("bwd " + node.OpType, Now() - t0);
                    double ta = Now();
                    for (int i = 0; i < st.Inputs.Length && i < inGrads.Length; i++)
                    {
                        int slot = st.Inputs[i];
                        if (slot < 0 || !needs[i] || inGrads[i] is not Tensor gi) continue;
                        grads[slot] = grads[slot] is Tensor prev ? GradMath.Add(prev, gi) : gi;
                    }
                    Add("accumulate", Now() - ta);
                }
                if (s == steps && detail) NodeDetail(tape, grads, requires);
                if (s == 0) continue;
                foreach (var (key, ms) in step)
                {
                    if (!times.TryGetValue(key, out var list)) times[key] = list = new();
                    list.Add(ms);
                }
            }
        }
        finally
        {
            Parallelism.Degree = saved;
        }
        var medians = times.ToDictionary(kv => kv.Key, kv => TrainingSideBySide.Median(kv.Value));
        Console.WriteLine($"  minor page faults: {(MinorFaults() - faults0) / (double)(steps + 1):F0} per step");
        Console.WriteLine($"  GC: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections (gen 0/1/2), total pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms, allocated {GC.GetTotalAllocatedBytes() / 1e9:F2} GB");
        double total = medians.Values.Sum();
        Console.WriteLine($"{model}: per-step medians over {steps} steps (sum {total:F1} ms)");
        foreach (var (key, ms) in medians.OrderByDescending(kv => kv.Value))
            Console.WriteLine($"  {key,-28} {ms,9:F2} ms  {100 * ms / total,5:F1} %");
    }

    /// <summary>Per node, best of 3 runs each: forward; backward with the step's needs; for Conv also dX alone and dW alone.</summary>
    private static void NodeDetail(List<(ExecutionPlan.Step Step, Tensor?[] Ins, Tensor?[] Outs, object? Saved)> tape, Tensor?[] grads, bool[] requires)
    {
        Console.WriteLine("  node                             input          fwd ms   bwd ms    dX ms    dW ms");
        foreach (var (st, ins, outs, sv) in tape)
        {
            var node = st.Op.Node;
            if (st.Outputs[0] < 0 || grads[st.Outputs[0]] is not Tensor dy || node.OpType is "Flatten" or "Constant") continue;
            var gop = GradTable.Bind(node, st.Op.Opset);
            var needs = st.Inputs.Select(i => i >= 0 && requires[i]).ToArray();
            GradContext Ctx(bool[] n) => new()
            {
                Node = node, Opset = st.Op.Opset, Training = true, Saved = sv, Outputs = outs, OutputGrads = [dy, .. new Tensor?[outs.Length - 1]], NeedsInputGrad = n,
            };
            double f = Best(() => st.Op.Invoke(new OpContext { Node = node, Opset = st.Op.Opset, Training = true, Rng = new Random(1) }, ins));
            double b = Best(() => gop.Invoke(Ctx(needs), ins));
            string conv = "";
            if (node.OpType == "Conv")
                conv = $"{Best(() => gop.Invoke(Ctx([true, false, false]), ins)),8:F2} {Best(() => gop.Invoke(Ctx([false, true, false]), ins)),8:F2}";
            Console.WriteLine($"  {node.Name,-32} {ins[0]!.ShapeString,-14} {f,7:F2} {b,8:F2} {conv}");
        }
    }

    /// <summary>minflt of /proc/self/stat (field 10): first touches of fresh anonymous pages, each a kernel entry
    /// plus a 4 KiB clear.</summary>
    private static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static double Best(Action a)
    {
        double best = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            double t0 = Now();
            a();
            best = Math.Min(best, Now() - t0);
        }
        return best;
    }
}
