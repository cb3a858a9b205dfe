using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Tests.Data;

public class DataValidationTests
{
    private static ValueInfo Input(DType t, params Dim[] dims) => new("x", t, dims);

    [Fact]
    public void CheckMatches_SymbolicBatchAndEqualDims_Passes()
    {
        var ds = new RandomDataset(4, [1, 28, 28]);
        DataValidation.CheckMatches(ds, Input(DType.Float32, Dim.Symbolic("N"), Dim.Known(1), Dim.Known(28), Dim.Known(28)), batchSize: 32);
        DataValidation.CheckMatches(ds, Input(DType.Float32, Dim.Known(1), Dim.Known(1), Dim.Unknown, Dim.Known(28)), batchSize: 1);
    }

    [Fact]
    public void CheckMatches_WrongShape_SaysWhatWasExpectedAndWhatCame()
    {
        var ds = new RandomDataset(4, [1, 28, 28]);
        var e = Assert.Throws<LowBitException>(() => DataValidation.CheckMatches(ds, ValueInfo.Of("image", DType.Float32, 1, 3, 224, 224)));
        Assert.Equal("model input 'image' expects float32 [1,3,224,224]; random:4 gives float32 samples [1,28,28]", e.Message);
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
    }

    [Fact]
    public void CheckMatches_FixedBatchOneWithBatchSize8_NamesTheFixedBatch()
    {
        var ds = new RandomDataset(4, [3]);
        var e = Assert.Throws<LowBitException>(() => DataValidation.CheckMatches(ds, ValueInfo.Of("x", DType.Float32, 1, 3), batchSize: 8));
        Assert.Contains("batch dim is fixed at 1", e.Message);
    }

    [Fact]
    public void CheckMatches_Float16Input_NamesTheDType()
    {
        var e = Assert.Throws<LowBitException>(() => DataValidation.CheckMatches(new RandomDataset(1, [3]), ValueInfo.Of("x", DType.Float16, 1, 3)));
        Assert.Contains("expects float16", e.Message);
    }

    [Fact]
    public void CheckMatches_TokenDatasetNeedsInt64()
    {
        var vocab = CharVocabulary.Build("ab");
        var tokens = new TokenDataset("text", vocab, new int[17], 8);
        DataValidation.CheckMatches(tokens, new ValueInfo("ids", DType.Int64, [Dim.Symbolic("B"), Dim.Symbolic("T")]), 4);
        Assert.Throws<LowBitException>(() => DataValidation.CheckMatches(tokens, ValueInfo.Of("ids", DType.Int32, 4, 8), 4));
    }

    [Fact]
    public void SampleShapeFor_DropsBatchDim_AndRejectsSymbolicSampleDims()
    {
        Assert.Equal(new[] { 3, 224, 224 }, DataValidation.SampleShapeFor(new ValueInfo("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(3), Dim.Known(224), Dim.Known(224)])));
        var e = Assert.Throws<LowBitException>(() => DataValidation.SampleShapeFor(new ValueInfo("x", DType.Float32, [Dim.Known(1), Dim.Symbolic("H")])));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void IndexOfNonFinite_FindsFirstNaNOrInf()
    {
        var v = new float[100];
        Assert.Equal(-1, DataValidation.IndexOfNonFinite(v));
        v[70] = float.PositiveInfinity;
        v[90] = float.NaN;
        Assert.Equal(70, DataValidation.IndexOfNonFinite(v));
    }

    [Fact]
    public void ThrowIfNonFinite_Batch_NamesTheDatasetSampleIndex()
    {
        var inputs = new float[3 * 4];
        inputs[2 * 4 + 1] = float.NaN;
        var batch = new Batch(0, Tensor.FromArray(inputs, 3, 4), null, [10, 11, 12]);
        var e = Assert.Throws<LowBitException>(() => DataValidation.ThrowIfNonFinite(batch, "calib"));
        Assert.Equal("calib: sample 12 has NaN at element 1", e.Message);
    }
}
