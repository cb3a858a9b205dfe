using System.Diagnostics;
using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Nn.Optim;
using LowBit.Nn.Zoo;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>
/// Trains a zoo model (DESIGN.md §1: the same <see cref="Graph.Graph"/> run by a <see cref="TrainingSession"/>). One step:
/// forward with Training = true (BatchNormalization on batch statistics, Dropout on), softmax cross-entropy with label
/// smoothing over the last axis ([N, C] or [N, T, V]), backward to every trainable initializer, global-norm clipping,
/// optimizer step at the scheduled rate. Each epoch ends with validation (Training = false, a fresh inference
/// <see cref="Session"/>) and a checkpoint. No console I/O: progress is reported through the events.
/// Determinism: shuffles, augmentation and Dropout masks are functions of (seed, epoch, sample, step), so a run resumed
/// from a checkpoint takes bit-for-bit the steps the uninterrupted run takes (same thread count).
/// </summary>
public sealed partial class Trainer
{
    private readonly TrainingData data;
    private readonly TrainingSession session;
    private readonly Optimizer optimizer;
    private readonly ILearningRateSchedule schedule;
    private readonly string inputName, outputName;
    private readonly long started = Stopwatch.GetTimestamp();
    private TrainingPosition position;
    private EvaluationResult? lastValidation;
    private string? lastCheckpoint;
    private long stepsThisRun;
    private long stepClock;
    private double secondsThisRun;

    public TrainingConfig Config { get; }
    /// <summary>The model being trained; its initializers are updated in place.</summary>
    public Graph.Graph Graph { get; }
    public TrainingLog Log { get; }
    public int StepsPerEpoch { get; }
    public long TotalSteps => (long)Config.Epochs * StepsPerEpoch;
    public TrainingPosition Position => position;
    public CharVocabulary? Vocabulary => data.Vocabulary;
    /// <summary>Folder of the newest checkpoint written or resumed from (null when none).</summary>
    public string? LastCheckpoint => lastCheckpoint;
    /// <summary>When set, the training log is written there (atomically) after every epoch and when the run ends.</summary>
    public string? LogPath { get; set; }

    /// <summary>After every step.</summary>
    public event Action<StepProgress>? StepCompleted;
    /// <summary>After every epoch's validation.</summary>
    public event Action<EpochRecord>? EpochCompleted;
    /// <summary>Validation progress: (samples done, samples in all).</summary>
    public event Action<int, int>? ValidationProgress;
    /// <summary>A checkpoint folder was written.</summary>
    public event Action<string>? CheckpointSaved;

    private readonly TrainerSetup setup;
    private readonly Session? teacher;
    private readonly TrainingSession? guide;

    private Trainer(TrainingConfig config, TrainingData data, Graph.Graph graph, LoadedCheckpoint? resume, TrainerSetup? setup = null)
    {
        this.setup = setup ?? new TrainerSetup();
        Config = config;
        this.data = data;
        Graph = graph;
        inputName = graph.Inputs[0].Name;
        outputName = graph.Outputs[0].Name;
        StepsPerEpoch = Math.Min(data.BatchesPerEpoch, config.MaxStepsPerEpoch ?? int.MaxValue);
        if (StepsPerEpoch < 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {config.Dataset}: {data.TrainName} has fewer samples than one batch of {config.BatchSize}");
        session = new TrainingSession(graph, new SessionOptions(config.Threads), config.Seed);
        var defaultNoDecay = Parameters.NoWeightDecay(graph);
        var extraNoDecay = this.setup.NoWeightDecay;
        Func<string, bool> noDecay = extraNoDecay is null ? defaultNoDecay : n => defaultNoDecay(n) || extraNoDecay(n);
        var parameters = this.setup.Parameters;
        optimizer = config.Optimizer == OptimizerKind.Sgd
            ? new Sgd(graph, new SgdOptions(config.LearningRate, config.Momentum, nesterov: config.Nesterov, weightDecay: config.WeightDecay), parameters, noDecay)
            : new AdamW(graph, new AdamWOptions(config.LearningRate, config.Momentum, config.Beta2, weightDecay: config.WeightDecay), parameters, noDecay);
        if (this.setup.Teacher is { } t) teacher = new Session(t, new SessionOptions(config.Threads));
        if (this.setup.Guide is { } gd)
        {
            CheckAlignment(graph, gd, this.setup.Align);
            guide = new TrainingSession(gd, new SessionOptions(config.Threads));
        }
        schedule = LearningRates.For(config, StepsPerEpoch);
        position = new TrainingPosition(0, 0, 0, EpochProgress.Empty);
        Log = new TrainingLog
        {
            Model = config.Model, Config = config, ConfigHash = config.Hash(), Parameters = Parameters.Count(graph),
            TrainData = data.TrainName, ValidationData = data.ValidationName, StepsPerEpoch = StepsPerEpoch,
        };
        if (resume is not null) Restore(resume);
    }

    /// <summary>Opens the data, builds the model it implies (input shape and classes, or vocabulary and context) and
    /// checks that they fit.</summary>
    public static Trainer Create(TrainingConfig config, TrainerSetup? setup = null)
    {
        config.Validate();
        var data = TrainingData.Open(config);
        var graph = ModelZoo.Build(config.Model, data.ModelOptions(config.Seed));
        data.CheckModel(graph);
        if (setup?.Teacher is { } t) data.CheckModel(t);
        return new Trainer(config, data, graph, null, setup);
    }

    /// <summary>A trainer for a given graph (an imported model, or a quantization-aware training graph) on the data
    /// <paramref name="config"/> names; <paramref name="setup"/> chooses the parameters, a teacher and a post-step hook.
    /// Checkpoints are written as for zoo models, but <see cref="Resume(LoadedCheckpoint, TrainingConfig?, TrainerSetup?)"/> rebuilds zoo
    /// models only.</summary>
    public static Trainer ForGraph(TrainingConfig config, Graph.Graph graph, TrainerSetup? setup = null)
    {
        config.Validate();
        var data = TrainingData.Open(config);
        if (data.IsLanguageModel) throw new LowBitException(ErrorKind.Usage, $"--dataset {config.Dataset}: training a model file needs labelled images");
        data.CheckModel(graph);
        if (setup?.Teacher is { } t) data.CheckModel(t);
        return new Trainer(config, data, graph, null, setup);
    }

    /// <summary>Seed of step s's Dropout masks: a function of (seed, s) only.</summary>
    internal static int StepSeed(int seed, long step) => (int)(Rng.Derive((ulong)seed, step, 2) & 0x7FFF_FFFF);

    /// <summary>Runs the remaining epochs. Cancellation stops before the next step (or during validation), writes a
    /// checkpoint and throws <see cref="OperationCanceledException"/>. A non-finite loss or gradient throws
    /// <see cref="ErrorKind.Numerical"/> naming the step; the last checkpoint (written before it) is kept.</summary>
    public TrainingLog Run(CancellationToken cancellation = default)
    {
        try
        {
            while (position.Epoch < Config.Epochs)
            {
                int epoch = position.Epoch;
                if (position.NextBatch < StepsPerEpoch)
                {
                    stepClock = Stopwatch.GetTimestamp();
                    foreach (var batch in data.Epoch(epoch, position.NextBatch, StepsPerEpoch - position.NextBatch))
                    {
                        if (cancellation.IsCancellationRequested) throw new OperationCanceledException(cancellation);
                        Step(epoch, batch);
                        if (Config.CheckpointEverySteps > 0 && position.Step % Config.CheckpointEverySteps == 0 && position.NextBatch < StepsPerEpoch)
                        {
                            SaveCheckpoint();
                            stepClock = Stopwatch.GetTimestamp();
                        }
                    }
                }
                cancellation.ThrowIfCancellationRequested();
                FinishEpoch(cancellation);
            }
            Log.Outcome = TrainingOutcome.Completed;
            Log.Final = lastValidation;
            return Log;
        }
        catch (OperationCanceledException)
        {
            Log.Outcome = TrainingOutcome.Cancelled;
            SaveCheckpoint();
            throw;
        }
        catch (LowBitException e) when (e.Kind == ErrorKind.Numerical)
        {
            Log.Outcome = TrainingOutcome.NumericalError;
            throw;
        }
        finally
        {
            Log.TotalSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (LogPath is not null) Log.Save(LogPath);
        }
    }

    private void Step(int epoch, TrainBatch batch)
    {
        long step = optimizer.Steps;
        double lr = schedule.At(step);
        optimizer.LearningRate = lr;
        session.Reseed(StepSeed(Config.Seed, step));
        var outputs = session.Forward(new Dictionary<string, Tensor> { [inputName] = batch.Inputs }, training: true,
            guide is null ? null : setup.Align.Select(a => a.Student));
        var logits = outputs[outputName];
        var loss = Losses.CrossEntropy(logits, batch.Targets, Config.LabelSmoothing);
        if (teacher is not null) loss = Distill(loss, logits, batch.Inputs);
        var outputGrads = new Dictionary<string, Tensor> { [outputName] = loss.Gradient };
        if (guide is not null) loss = AlignTo(loss, outputs, batch.Inputs, outputGrads);
        if (!double.IsFinite(loss.Value))
        {
            session.ClearTape();
            throw NonFinite("the loss", loss.Value, step + 1, epoch, batch.Index);
        }
        var grads = session.Backward(outputGrads, optimizer.ParameterNames);
        session.ClearTape();
        if (setup.GradientFilter is { } filter)
            foreach (var name in grads.Keys.ToList()) grads[name] = filter(name, grads[name]);
        double norm;
        if (Config.GradClip > 0) (norm, grads) = GradientClipping.ClipByGlobalNorm(grads, Config.GradClip);
        else norm = GradientClipping.GlobalNorm(grads);
        if (!double.IsFinite(norm)) throw NonFinite("the gradient norm", norm, step + 1, epoch, batch.Index);
        optimizer.Step(grads);
        setup.AfterStep?.Invoke();
        int correct = Metrics.CorrectTopK(logits, batch.Targets, 1);

        // Wall time since the previous step ended: the step plus any wait for its batch (loading and augmentation run
        // ahead on a background task and only show here when they fall behind); checkpoints are not counted.
        long now = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(stepClock, now).TotalSeconds;
        stepClock = now;
        stepsThisRun++;
        secondsThisRun += seconds;
        var p = position.Progress;
        p = new EpochProgress(p.Steps + 1, p.Samples + batch.Samples, p.Items + batch.Items, p.LossSum + loss.Value,
            p.Correct + correct, p.Seconds + seconds, lr);
        position = new TrainingPosition(epoch, batch.Index + 1, optimizer.Steps, p);
        if (StepCompleted is { } handler)
        {
            double rate = p.Seconds > 0 ? p.Samples / p.Seconds : 0;
            TimeSpan? eta = stepsThisRun > 0 ? TimeSpan.FromSeconds(secondsThisRun / stepsThisRun * (TotalSteps - position.Step)) : null;
            handler(new StepProgress(epoch + 1, Config.Epochs, batch.Index + 1, StepsPerEpoch, position.Step, TotalSteps, loss.Value,
                p.LossSum / p.Steps, p.Items == 0 ? 0 : (double)p.Correct / p.Items, lr, rate, eta));
        }
    }

    private LowBitException NonFinite(string what, double value, long step, int epoch, int batch) =>
        new(ErrorKind.Numerical,
            $"{what} became {value} at step {step} (epoch {epoch + 1}, batch {batch + 1}); training stopped, " +
            (lastCheckpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {lastCheckpoint}") +
            (Config.GradClip > 0 ? "; try a lower --lr" : "; try a lower --lr or --grad-clip 1"));

    private void FinishEpoch(CancellationToken cancellation)
    {
        int epoch = position.Epoch;
        long t0 = Stopwatch.GetTimestamp();
        lastValidation = Validate(cancellation);
        double validationSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var p = position.Progress;
        double perSecond(long n) => p.Seconds > 0 ? n / p.Seconds : 0;
        var record = new EpochRecord(epoch + 1, p.Steps, p.Samples, p.Steps == 0 ? 0 : p.LossSum / p.Steps,
            p.Items == 0 ? 0 : (double)p.Correct / p.Items, p.LastLearningRate, perSecond(p.Samples),
            data.IsLanguageModel ? perSecond(p.Items) : null, p.Seconds, validationSeconds,
            lastValidation is null ? null : ValidationRecord.Of(lastValidation));
        Log.Epochs.Add(record);
        position = new TrainingPosition(epoch + 1, 0, position.Step, EpochProgress.Empty);
        SaveCheckpoint();
        if (LogPath is not null)
        {
            Log.TotalSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Log.Save(LogPath);
        }
        EpochCompleted?.Invoke(record);
    }

    /// <summary>Validation on the current weights with an inference session (BatchNormalization on running statistics,
    /// Dropout off); null when the run has no validation data.</summary>
    public EvaluationResult? Validate(CancellationToken cancellation = default)
    {
        // A snapshot with copied initializers: an optimized session caches packed GEMM weights per storage array
        // (Onnx/Ops/PackedWeights.cs), so a session over the live arrays, which training edits in place, could reuse
        // a packing of older weights.
        var snapshot = LowBit.Graph.Passes.InferenceOptimizer.Copy(Graph);
        foreach (var name in Graph.Initializers.Keys) snapshot.Initializers[name] = Graph.Initializers[name].Clone();
        var inference = new Session(snapshot, new SessionOptions(Config.Threads));
        Tensor Run(Tensor x) => inference.Run(new Dictionary<string, Tensor> { [inputName] = x })[outputName];
        return data.Validate(Run, Config.MaxValidationSamples, cancellation, ValidationProgress);
    }
}
