using LowBit.Nn;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

internal static partial class GradientSensitivity
{
    /// <summary>
    /// A copy of the prepared graph whose weights are private clones, so finite-difference perturbations are written in
    /// place (the plan holds the initializer tensors by reference) and never reach the caller's graph. Runs the inference
    /// function (BatchNormalization with running statistics, Dropout the identity) while recording the tape.
    /// </summary>
    private sealed class Workspace
    {
        private readonly TrainingSession session;
        private readonly Tensor[] original;
        private readonly Tensor[] live;
        private readonly string output;
        private readonly string? targetsName;
        private readonly string[] realInputs;

        public string[] Weights { get; }
        /// <summary>Element count of each weight.</summary>
        public int[] Sizes { get; }
        /// <summary>‖w‖ over all weights together.</summary>
        public double Norm { get; }

        public Workspace(Graph.Graph prepared, IReadOnlyList<string> weights, string? targetsName, int threads)
        {
            if (prepared.Outputs.Count != 1)
                throw new LowBitException(ErrorKind.Usage,
                    $"gradient sensitivity needs a model with one output (logits [N, C]); '{prepared.Name}' has {prepared.Outputs.Count}: {string.Join(", ", prepared.Outputs.Select(o => o.Name))}");
            var o = prepared.Outputs[0];
            output = o.Name;
            if (o.Shape is { } shape && shape.Length != 2)
                throw new LowBitException(ErrorKind.Usage, $"gradient sensitivity needs classification logits [N, C]; output '{output}' is declared with rank {shape.Length}");
            if (weights.Count == 0) throw new LowBitException(ErrorKind.Usage, "gradient sensitivity needs at least one weight");
            if (weights.Distinct().Count() != weights.Count) throw new LowBitException(ErrorKind.Usage, "gradient sensitivity weights are listed twice");
            if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be ≥ 0 (0 = all cores)");
            this.targetsName = targetsName;

            var work = Prepare.GraphCopy.Of(prepared);
            Weights = weights.ToArray();
            original = new Tensor[Weights.Length];
            live = new Tensor[Weights.Length];
            Sizes = new int[Weights.Length];
            double sq = 0;
            for (int k = 0; k < Weights.Length; k++)
            {
                string name = Weights[k];
                if (!prepared.Initializers.TryGetValue(name, out var w) || w.DType != DType.Float32)
                    throw new LowBitException(ErrorKind.Usage, $"'{name}' is not a float32 initializer of the prepared model '{prepared.Name}'");
                original[k] = w;
                live[k] = work.Initializers[name] = w.Clone();
                Sizes[k] = w.Length;
                foreach (float x in w.AsReadOnlySpan<float>()) sq += (double)x * x;
            }
            Norm = Math.Sqrt(sq);
            realInputs = work.RealInputs.Select(v => v.Name).ToArray();
            session = new TrainingSession(work, threads == 0 ? new SessionOptions() : new SessionOptions(threads));
        }

        /// <summary>The batch's int64 targets [N]: the given tensor, or the argmax of the model's logits at the unperturbed
        /// weights (call before <see cref="Perturb"/>).</summary>
        public Tensor Labels(IReadOnlyDictionary<string, Tensor> batch)
        {
            if (targetsName is not null)
                return batch.TryGetValue(targetsName, out var t) ? t
                    : throw new LowBitException(ErrorKind.InvalidInput, $"a batch has no targets tensor '{targetsName}'");
            var logits = Logits(session.Forward(batch, training: false));
            session.ClearTape();
            int c = logits.Shape[1];
            var z = logits.AsReadOnlySpan<float>();
            var y = new long[logits.Shape[0]];
            for (int r = 0; r < y.Length; r++)
            {
                var row = z.Slice(r * c, c);
                int best = 0;
                for (int j = 1; j < c; j++) if (row[j] > row[best]) best = j;
                y[r] = best;
            }
            return Tensor.FromArray(y, y.Length);
        }

        /// <summary>∇_w of the mean cross-entropy over the batch's rows at the current (live) weights, per weight.</summary>
        public Tensor[] Gradient(IReadOnlyDictionary<string, Tensor> inputs, Tensor labels)
        {
            var logits = Logits(session.Forward(inputs, training: false, recordTape: true));
            var loss = Losses.CrossEntropy(logits, labels);
            var grads = session.Backward(new Dictionary<string, Tensor> { [output] = loss.Gradient }, Weights);
            session.ClearTape();
            return Weights.Select(n => grads[n]).ToArray();
        }

        /// <summary>Sample <paramref name="r"/> of a batch as a batch of one: every graph input sliced on axis 0.</summary>
        public Dictionary<string, Tensor> Row(IReadOnlyDictionary<string, Tensor> batch, int r)
        {
            var one = new Dictionary<string, Tensor>();
            foreach (string name in realInputs)
            {
                if (!batch.TryGetValue(name, out var t)) continue;
                if (t.Rank == 0 || t.DType.StorageLength(t.Length) != t.Length)
                    throw new LowBitException(ErrorKind.InvalidInput, $"input '{name}' ({t.DType.Name()} {t.ShapeString}) cannot be split into samples on axis 0");
                int per = t.Length / Math.Max(1, t.Shape[0]);
                var data = Array.CreateInstance(t.DType.StorageType(), per);
                Array.Copy(t.Data, (long)r * per, data, 0, per);
                one[name] = Tensor.FromStorage(t.DType, data, [1, .. t.Shape[1..]]);
            }
            return one;
        }

        /// <summary>Rows N of a batch: axis 0 of its first graph input (0 when it has none).</summary>
        public int Rows(IReadOnlyDictionary<string, Tensor> batch)
        {
            foreach (string name in realInputs)
                if (batch.TryGetValue(name, out var t) && t.Rank > 0) return t.Shape[0];
            return 0;
        }

        /// <summary>Rows N of a batch, checked against every graph input's axis 0.</summary>
        public int BatchSize(IReadOnlyDictionary<string, Tensor> batch, Tensor labels)
        {
            int n = labels.Rank == 1 ? labels.Shape[0] : -1;
            foreach (string name in realInputs)
                if (batch.TryGetValue(name, out var t) && (t.Rank == 0 || t.Shape[0] != n))
                    throw new LowBitException(ErrorKind.InvalidInput, $"input '{name}' {t.ShapeString} does not have the {n} rows of targets {labels.ShapeString}");
            return n >= 0 ? n : throw new LowBitException(ErrorKind.InvalidInput, $"targets must have shape [N], got {labels.ShapeString}");
        }

        /// <summary>live = w₀ + s·d (rounded once to float32).</summary>
        public void Perturb(float[][] direction, double s)
        {
            for (int k = 0; k < live.Length; k++)
            {
                var w0 = original[k].AsReadOnlySpan<float>();
                var w = live[k].AsSpan<float>();
                var d = direction[k];
                for (int i = 0; i < w.Length; i++) w[i] = (float)(w0[i] + s * d[i]);
            }
        }

        public void Restore()
        {
            for (int k = 0; k < live.Length; k++) original[k].AsReadOnlySpan<float>().CopyTo(live[k].AsSpan<float>());
        }

        private Tensor Logits(Dictionary<string, Tensor> outputs)
        {
            var z = outputs[output];
            if (z.Rank != 2 || z.DType != DType.Float32)
                throw new LowBitException(ErrorKind.Usage, $"gradient sensitivity needs float32 classification logits [N, C]; output '{output}' is {z.DType.Name()} {z.ShapeString}");
            return z;
        }
    }
}
