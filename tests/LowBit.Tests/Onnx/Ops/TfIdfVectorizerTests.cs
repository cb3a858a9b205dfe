using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>TfIdfVectorizer in the forms the backend node cases (int64, TF mode, identity ngram_indexes) miss, compared
/// with ONNX Runtime. Counts and weights are small exact floats, so results must be identical.</summary>
public class TfIdfVectorizerTests
{
    [Theory]
    [InlineData("TF")]
    [InlineData("IDF")]
    [InlineData("TFIDF")]
    public void TfIdfVectorizer_StringsPermutedIndexesWeights_MatchesOrt(string mode)
    {
        var x = Tensor.FromArray(new[] { "a", "b", "a", "c", "b", "a", "c", "c", "a", "b", "b", "a" }, 2, 6);
        // Unigrams a, c; bigrams (a,b), (c,b), (b,a); columns permuted so that pool order ≠ column order.
        OrtParity.AssertIdentical("TfIdfVectorizer", 9, [Fed("x", x)], [DType.Float32], attrs:
        [
            ("mode", mode), ("min_gram_length", 1L), ("max_gram_length", 2L), ("max_skip_count", 2L),
            ("ngram_counts", new long[] { 0, 2 }), ("ngram_indexes", new long[] { 4, 0, 2, 1, 3 }),
            ("pool_strings", new[] { "a", "c", "a", "b", "c", "b", "b", "a" }),
            ("weights", new[] { 0.5f, 2f, 0.25f, 4f, 8f }),
        ]);
    }

    [Fact]
    public void TfIdfVectorizer_Int32OnlyTrigrams_MatchesOrt()
    {
        var x = RandomTensors.Ints(new Random(4), DType.Int32, 1, 3, 20);
        OrtParity.AssertIdentical("TfIdfVectorizer", 9, [Fed("x", x)], [DType.Float32], attrs:
        [
            ("mode", "TF"), ("min_gram_length", 3L), ("max_gram_length", 3L), ("max_skip_count", 1L),
            ("ngram_counts", new long[] { 0, 2, 4 }), ("ngram_indexes", new long[] { 0, 1, 2, 3, 4, 5 }),
            ("pool_int64s", new long[] { 1, 2, 1, 3, 2, 1, 2, 2, 3, 3, 1, 1, 1 }),
        ]);
    }
}

/// <summary>Attributes a hostile model may carry.</summary>
public class TfIdfVectorizerHostileTests
{
    [Fact]
    public void TfIdfVectorizer_HugeNgramIndex_ThrowsBeforeAllocating()
    {
        var x = Tensor.FromArray(new long[] { 1, 2 }, 2);
        var e = Assert.Throws<LowBitException>(() => LowBit.Onnx.Ops.TfIdfOps.TfIdfVectorizer(x, 1, 0, 1, "TF", [0], [1L << 40], pool_int64s: [1]));
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
        Assert.Contains("ngram_indexes", e.Message);
    }

    [Fact]
    public void TfIdfVectorizer_PoolNotSplittingIntoGrams_ThrowsNamingNgramCounts()
    {
        var x = Tensor.FromArray(new long[] { 1, 2 }, 2);
        var e = Assert.Throws<LowBitException>(() => LowBit.Onnx.Ops.TfIdfOps.TfIdfVectorizer(x, 2, 0, 2, "TF", [0, 0], [0], pool_int64s: [1, 2, 3]));
        Assert.Contains("ngram_counts", e.Message);
    }
}
