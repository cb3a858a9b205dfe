using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Quantization.Observers;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Calibration;

/// <summary>Streaming calibration (<see cref="CalibrationOptions.Streams"/>) on <see cref="StreamingVad"/> over 30 s of
/// 512-sample chunks at 16 kHz (937 calls).</summary>
public class StreamingCalibrationTests
{
    private static readonly Graph.Graph Model = StreamingVad.Build();
    private static readonly List<Tensor> Chunks = StreamingVad.Audio(30);
    private static readonly QuantizerConfig MinMax = new(activations: new ActivationQuantConfig(observer: new ObserverConfig.MinMax()));

    private static IEnumerable<IReadOnlyDictionary<string, Tensor>> Samples(long sr = StreamingVad.SampleRate) =>
        Chunks.Select(c => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["chunk"] = c, ["sr"] = Tensor.Scalar(sr) });

    private static readonly CalibrationOptions Streaming = new() { Streams = [new StreamBinding("state_out", "state")] };

    /// <summary>Streaming calibration over all 937 chunks, shared by the tests that need it (≈ 3 s on 2 cores).</summary>
    private static readonly Lazy<QuantizedModel> StreamedModel = new(() => Quantizer.Quantize(Model, MinMax, Samples(), calibrationOptions: Streaming));

    /// <summary>The state values a deployed loop feeds: run the float model chunk after chunk, carrying the state.</summary>
    private static (float Min, float Max) ManualStateRange()
    {
        var session = new Session(Model, new SessionOptions(threads: 1));
        var state = Tensor.Zeros(DType.Float32, 2, 1, StreamingVad.Hidden);
        float min = float.MaxValue, max = float.MinValue;
        foreach (var c in Chunks)
        {
            foreach (var v in state.AsSpan<float>()) { min = Math.Min(min, v); max = Math.Max(max, v); }
            var r = session.Run(new Dictionary<string, Tensor> { ["chunk"] = c, ["state"] = state, ["sr"] = Tensor.Scalar((long)StreamingVad.SampleRate) });
            state = r["state_out"].Clone();
        }
        return (min, max);
    }

    private static float[] RangeOf(QuantizedModel q, string tensor) =>
        q.Manifest.Tensors.FirstOrDefault(t => t.Name == tensor && t.Range is not null)?.Range
        ?? throw new Xunit.Sdk.XunitException("no range for " + tensor + ": " + string.Join("; ", q.Manifest.Tensors.Select(t => $"{t.Name} {t.Kind} {t.Group} [{string.Join(",", t.Range ?? [])}]")));

    [Fact]
    public void Calibrate_StreamedState_RangeMatchesManualLoop()
    {
        Assert.Equal(937, Chunks.Count);
        var q = StreamedModel.Value;
        Assert.Equal(937, q.Manifest.Calibration!.Samples);
        var (min, max) = ManualStateRange();
        Assert.True(max - min > 0.2f, $"the state must move over the sequence: [{min}, {max}]");
        // state_flat = Reshape(state) is the quantized view of the state (root of its scale group).
        // Min-max over exactly the values the manual loop fed (the range always holds 0; the state starts at zeros).
        // Float32 state trajectories agree to rounding: same kernels, same order, one thread vs the calibration's threads
        // may differ in summation order, so 1e-4 relative.
        var range = RangeOf(q, "state_flat");
        Assert.Equal(Math.Min(0, min), range[0], 1e-4f * Math.Abs(min) + 1e-6f);
        Assert.Equal(Math.Max(0, max), range[1], 1e-4f * Math.Abs(max) + 1e-6f);
    }

    [Fact]
    public void Calibrate_WithoutStream_StateStaysAtFirstValue()
    {
        // Each sample's own state (zeros) is fed every call: the range collapses to [0, 0] — what streaming fixes.
        var zeros = Tensor.Zeros(DType.Float32, 2, 1, StreamingVad.Hidden);
        var data = Samples().Take(40).Select(d => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>(d) { ["state"] = zeros });
        var q = Quantizer.Quantize(Model, MinMax, data);
        var range = RangeOf(q, "state_flat");
        Assert.Equal(0f, range[0]);
        Assert.Equal(0f, range[1]);
    }

    [Fact]
    public void Calibrate_InitialStateGiven_FirstCallUsesIt()
    {
        var init = Tensor.Zeros(DType.Float32, 2, 1, StreamingVad.Hidden);
        init.AsSpan<float>().Fill(-3f);
        var options = new CalibrationOptions(maxSamples: 2) { Streams = [new StreamBinding("state_out", "state", init)] };
        var q = Quantizer.Quantize(Model, MinMax, Samples(), calibrationOptions: options);
        Assert.Equal(-3f, RangeOf(q, "state_flat")[0]);
    }

    [Fact]
    public void Calibrate_StreamedExport_RunsInOnnxRuntimeCloseToFloat()
    {
        var q = StreamedModel.Value;
        using var ort = OrtRunner.FromGraph(q.Graph, threads: 1);
        var session = new Session(Model, new SessionOptions(threads: 1));
        var sq = Tensor.Zeros(DType.Float32, 2, 1, StreamingVad.Hidden);
        var sf = sq.Clone();
        double worst = 0;
        foreach (var c in Chunks.Take(100))
        {
            var sr = Tensor.Scalar((long)StreamingVad.SampleRate);
            var rq = ort.Run(new Dictionary<string, Tensor> { ["chunk"] = c, ["state"] = sq, ["sr"] = sr });
            var rf = session.Run(new Dictionary<string, Tensor> { ["chunk"] = c, ["state"] = sf, ["sr"] = sr });
            worst = Math.Max(worst, Math.Abs(rq["prob"].ToFloatArray()[0] - rf["prob"].ToFloatArray()[0]));
            sq = rq["state_out"].Clone();
            sf = rf["state_out"].Clone();
        }
        // 8-bit activations over 100 recurrent steps: the probability stays within 0.05 of float.
        Assert.True(worst < 0.05, $"max |Δprob| over 100 chunks = {worst}");
    }

    [Fact]
    public void Calibrate_StreamOutputUnknown_ErrorListsOutputs()
    {
        var options = new CalibrationOptions { Streams = [new StreamBinding("hidden", "state")] };
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, MinMax, Samples(), calibrationOptions: options));
        Assert.Equal("stream hidden=state: the model has no output 'hidden'; its outputs are: prob, state_out", e.Message);
    }

    [Fact]
    public void StreamBinding_Parse_NeedsOutputEqualsInput()
    {
        Assert.Equal(new StreamBinding("a", "b").ToString(), StreamBinding.Parse("a=b").ToString());
        var e = Assert.Throws<LowBitException>(() => StreamBinding.Parse("state"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("expected OUTPUT=INPUT", e.Message);
    }
}
