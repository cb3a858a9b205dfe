using LowBit.Nn;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Observers;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Calibration;

public class CalibratorTests
{
    private static readonly Graph.Graph Model = ConvNet();

    [Fact]
    public void Calibrate_NaNInInput_ErrorNamesSampleAndTensor()
    {
        var data = RandomData(Model, 4);
        data[2]["x"].AsSpan<float>()[17] = float.NaN;
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(), data));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Equal("calibration sample 2: input 'x' contains NaN (element 17); check the data or the model", e.Message);
    }

    [Fact]
    public void Calibrate_InfInActivation_ErrorNamesTensor()
    {
        var b = new GraphBuilder("overflow", 1);
        string x = b.Input("x", DType.Float32, 4);
        string sq = b.Mul(x, x, "square");
        b.Output(b.Linear(b.Relu(sq, "relu"), 4, 2, "fc"), "y", DType.Float32, 2);
        var data = RandomData(b.Graph, 2);
        data[1]["x"].AsSpan<float>()[0] = 1e30f;
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(b.Graph, new QuantizerConfig(), data));
        // square → relu is a fused pair, so the first quantized tensor is the Relu output (1e60 overflows to +Inf).
        // Unquantized values may hold ±Inf legitimately (additive attention masks) and are not checked.
        Assert.StartsWith("calibration sample 1: activation 'relu' contains Inf", e.Message);
    }

    [Fact]
    public void Calibrate_FewSamples_WarnsWithCount()
    {
        var q = Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 3));
        Assert.Contains("calibrated on 3 samples; at least 16 are recommended for representative ranges", q.Warnings);
        Assert.Equal(3, q.Manifest.Calibration!.Samples);
        var enough = Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 3), calibrationOptions: new CalibrationOptions(minSamples: 3));
        Assert.DoesNotContain(enough.Warnings, w => w.StartsWith("calibrated on"));
    }

    [Fact]
    public void Calibrate_PercentileOnFewValues_ObserverWarningCarriesCount()
    {
        var cfg = new QuantizerConfig(activations: new ActivationQuantConfig(observer: new ObserverConfig.Percentile(99.99)));
        var q = Quantizer.Quantize(Model, cfg, RandomData(Model, 2));
        Assert.Contains(q.Warnings, w => w.Contains("percentile 99.99 needs about 100000 values") && w.Contains("were observed"));
    }

    [Fact]
    public void Calibrate_Progress_ReportsEverySampleWithTotal()
    {
        var reports = new List<CalibrationProgress>();
        var progress = new SyncProgress(reports.Add);
        Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 5), progress);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => new CalibrationProgress(i, 5)), reports);
        reports.Clear();
        Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 5).Select(d => d), progress, new CalibrationOptions(maxSamples: 3));
        Assert.Equal([new(0, 3), new(1, 3), new(2, 3), new(3, 3)], reports);
    }

    [Fact]
    public void Calibrate_LazySource_StreamsWithoutTotal()
    {
        var reports = new List<CalibrationProgress>();
        int produced = 0;
        IEnumerable<IReadOnlyDictionary<string, Tensor>> Lazy()
        {
            foreach (var d in RandomData(Model, 4)) { produced++; yield return d; }
        }
        var q = Quantizer.Quantize(Model, new QuantizerConfig(), Lazy(), new SyncProgress(reports.Add));
        Assert.Equal(4, produced);
        Assert.Equal([new(1, null), new(2, null), new(3, null), new(4, null)], reports);
        Assert.Equal(4, q.Manifest.Calibration!.Samples);
    }

    [Fact]
    public void Calibrate_EmptyOrMissingData_Errors()
    {
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(), []));
        Assert.Contains("the calibration data is empty", e.Message);
        var m = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig()));
        Assert.Equal(ErrorKind.Usage, m.Kind);
        Assert.Contains("static quantization needs calibration data", m.Message);
    }

    [Fact]
    public void Calibrate_WrongInputName_ErrorNamesSample()
    {
        var data = new List<IReadOnlyDictionary<string, Tensor>> { new Dictionary<string, Tensor> { ["image"] = Tensor.Zeros(DType.Float32, 1, 3, 12, 12) } };
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(Model, new QuantizerConfig(), data));
        Assert.StartsWith("calibration sample 0: unknown input 'image'", e.Message);
    }

    [Fact]
    public void Calibrate_Cache_SecondRunSkipsCalibration()
    {
        string dir = Directory.CreateTempSubdirectory("lowbit-calib").FullName;
        try
        {
            string path = Path.Combine(dir, "calib.json");
            var opts = new CalibrationOptions(cachePath: path, dataKey: "random:convnet:8");
            var first = Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 8), calibrationOptions: opts);
            Assert.Equal("miss", first.Manifest.Calibration!.Cache);
            Assert.True(File.Exists(path));
            var second = Quantizer.Quantize(Model, new QuantizerConfig(), Throwing(), calibrationOptions: opts);
            Assert.Equal("hit", second.Manifest.Calibration!.Cache);
            Assert.Equal(8, second.Manifest.Calibration.Samples);
            Assert.Equal(OnnxExporter.ToBytes(first.Graph), OnnxExporter.ToBytes(second.Graph));
            // A different data key or observer misses (and calibrates again).
            var other = Quantizer.Quantize(Model, new QuantizerConfig(), RandomData(Model, 8), calibrationOptions: new CalibrationOptions(cachePath: path, dataKey: "other"));
            Assert.Equal("miss", other.Manifest.Calibration!.Cache);
            var mse = new QuantizerConfig(activations: new ActivationQuantConfig(observer: new ObserverConfig.Mse()));
            Assert.Equal("miss", Quantizer.Quantize(Model, mse, RandomData(Model, 8), calibrationOptions: new CalibrationOptions(cachePath: path, dataKey: "other")).Manifest.Calibration!.Cache);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Options_CacheWithoutDataKey_Throws()
    {
        var e = Assert.Throws<LowBitException>(() => new CalibrationOptions(cachePath: "x.json"));
        Assert.Contains("needs a data key", e.Message);
    }

    private static IEnumerable<IReadOnlyDictionary<string, Tensor>> Throwing()
    {
        throw new InvalidOperationException("the cache should have made calibration data unnecessary");
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }

    /// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<CalibrationProgress> report) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value) => report(value);
    }
}
