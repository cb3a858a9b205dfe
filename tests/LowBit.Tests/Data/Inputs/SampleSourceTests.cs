using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Tests.Data.Inputs;

/// <summary>Multi-input data specs opened for a model's inputs (<see cref="DataSpec.OpenInputs(string, IReadOnlyList{ValueInfo}, IReadOnlyCollection{string}?)"/>).</summary>
public class SampleSourceTests
{
    /// <summary>A streaming model's inputs: chunk float32 [1,512], state float32 [2,1,64], sr int64 scalar.</summary>
    private static readonly ValueInfo[] Vad =
    [
        ValueInfo.Of("chunk", DType.Float32, 1, 512),
        ValueInfo.Of("state", DType.Float32, 2, 1, 64),
        ValueInfo.Of("sr", DType.Int64),
    ];

    private static string ChunkFolder(TempDir tmp, int n, int length = 512)
    {
        string dir = tmp.Dir("chunks");
        for (int i = 0; i < n; i++)
            Npy.Write(Path.Combine(dir, $"{i:D3}.npy"), Tensor.FromArray(Enumerable.Repeat((float)i, length).ToArray(), length));
        return dir;
    }

    [Fact]
    public void OpenInputs_NpyFolderAndConstant_EachInputInItsDtypeAndShape()
    {
        using var tmp = new TempDir();
        string dir = ChunkFolder(tmp, 3);
        var src = DataSpec.OpenInputs($"npy=chunk:{dir},sr=const:16000", Vad, ["state"]);
        Assert.Equal(3, src.Count);
        var s = src.Read(2);
        Assert.Equal([1, 512], s["chunk"].Shape);
        Assert.Equal(2f, s["chunk"].ToFloatArray()[511]);
        Assert.Equal(DType.Int64, s["sr"].DType);
        Assert.Empty(s["sr"].Shape);
        Assert.Equal(16000L, s["sr"].GetInt64(0));
        Assert.False(s.ContainsKey("state"));
        Assert.Equal(3, src.Count());
    }

    [Fact]
    public void OpenInputs_UnnamedHead_BindsToTheOnlyInputLeft()
    {
        using var tmp = new TempDir();
        string dir = ChunkFolder(tmp, 2);
        var src = DataSpec.OpenInputs($"npy={dir},sr=const:8000", Vad, ["state"]);
        Assert.Equal(["chunk", "sr"], src.Read(0).Keys.Order());
        Assert.Equal(8000L, src.Read(0)["sr"].GetInt64(0));
    }

    [Fact]
    public void OpenInputs_InputWithoutData_ErrorSuggestsSourceAndStream()
    {
        using var tmp = new TempDir();
        string dir = ChunkFolder(tmp, 2);
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npy=chunk:{dir},sr=const:16000", Vad));
        Assert.Equal($"npy=chunk:{dir},sr=const:16000: input 'state' (float32 [2,1,64]) has no data; add ,state=DIR|FILE.npy|const:VALUE, or feed it back from an output with --stream OUTPUT=state", e.Message);
    }

    [Fact]
    public void OpenInputs_UnknownInputName_ErrorListsInputs()
    {
        using var tmp = new TempDir();
        string dir = ChunkFolder(tmp, 2);
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npy=chunk:{dir},rate=const:16000", Vad, ["state"]));
        Assert.EndsWith("'rate' is not a model input; the inputs are: chunk, state, sr", e.Message);
    }

    [Fact]
    public void OpenInputs_FeedsOfDifferentLength_ErrorNamesBoth()
    {
        using var tmp = new TempDir();
        string dir = ChunkFolder(tmp, 3);
        string states = tmp.File("states.npy");
        Npy.Write(states, Tensor.Zeros(DType.Float32, 5, 2, 1, 64));
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npy=chunk:{dir},state={states},sr=const:1", Vad));
        Assert.Contains("input 'state' has 5 samples", e.Message);
        Assert.Contains("input 'chunk' has 3", e.Message);
    }

    [Fact]
    public void OpenInputs_BatchedNpy_SamplesAlongFirstDim()
    {
        using var tmp = new TempDir();
        string states = tmp.File("states.npy");
        var all = Tensor.FromArray(Enumerable.Range(0, 3 * 128).Select(i => (float)i).ToArray(), 3, 2, 1, 64);
        Npy.Write(states, all);
        string dir = ChunkFolder(tmp, 3);
        var s = DataSpec.OpenInputs($"npy=chunk:{dir},state={states},sr=const:1", Vad).Read(1);
        Assert.Equal([2, 1, 64], s["state"].Shape);
        Assert.Equal(128f, s["state"].ToFloatArray()[0]);
    }

    [Fact]
    public void OpenInputs_FloatFileForInt64Input_RefusedWithNumpyFix()
    {
        using var tmp = new TempDir();
        string dir = tmp.Dir("tok");
        Npy.Write(Path.Combine(dir, "0.npy"), Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4));
        var tokens = new[] { new ValueInfo("tokens", DType.Int64, [Dim.Known(1), Dim.Symbolic("T")]) };
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npy={dir}", tokens).Read(0));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("input 'tokens' expects int64 values (e.g. token ids); the data holds float32", e.Message);
        Assert.Contains("a.astype(np.int64)", e.Message);
    }

    [Fact]
    public void OpenInputs_Int32TokensForInt64Input_KeptAsIntegers()
    {
        using var tmp = new TempDir();
        string dir = tmp.Dir("tok");
        Npy.Write(Path.Combine(dir, "0.npy"), Tensor.FromArray(new[] { 5, 70000, 3 }, 1, 3));
        var tokens = new[] { new ValueInfo("tokens", DType.Int64, [Dim.Known(1), Dim.Symbolic("T")]) };
        var t = DataSpec.OpenInputs($"npy={dir}", tokens).Read(0)["tokens"];
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal([5L, 70000, 3], t.ToInt64Array());
    }

    [Fact]
    public void OpenInputs_DifferentWidths_EachSampleAtItsOwnShapeWhenDimIsDynamic()
    {
        using var tmp = new TempDir();
        string dir = tmp.Dir("lines");
        Npy.Write(Path.Combine(dir, "a.npy"), Tensor.Zeros(DType.Float32, 3, 48, 424));
        Npy.Write(Path.Combine(dir, "b.npy"), Tensor.Zeros(DType.Float32, 3, 48, 160));
        var line = new[] { new ValueInfo("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(3), Dim.Known(48), Dim.Symbolic("W")]) };
        var src = DataSpec.OpenInputs($"npy={dir}", line);
        Assert.Equal([1, 3, 48, 424], src.Read(0)["x"].Shape);
        Assert.Equal([1, 3, 48, 160], src.Read(1)["x"].Shape);

        var fixedW = new[] { ValueInfo.Of("x", DType.Float32, 1, 3, 48, 424) };
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npy={dir}", fixedW).Read(1));
        Assert.EndsWith("input 'x' expects float32 [1,3,48,424]; the data holds float32 [3,48,160]", e.Message);
    }

    [Fact]
    public void OpenInputs_NpzFolder_ArraysByNameWithConstant()
    {
        using var tmp = new TempDir();
        string dir = tmp.Dir("npz");
        for (int i = 0; i < 4; i++)
            Npz.Write(Path.Combine(dir, $"{i}.npz"), new Dictionary<string, Tensor> { ["chunk"] = Tensor.FromArray(Enumerable.Repeat((float)i, 512).ToArray(), 1, 512) });
        var src = DataSpec.OpenInputs($"npz={dir},sr=const:16000", Vad, ["state"]);
        Assert.Equal(4, src.Count);
        Assert.Equal(3f, src.Read(3)["chunk"].ToFloatArray()[0]);
        Assert.Equal(16000L, src.Read(3)["sr"].GetInt64(0));
    }

    [Fact]
    public void OpenInputs_NpzMissingInput_ErrorNamesArchiveAndInput()
    {
        using var tmp = new TempDir();
        string dir = tmp.Dir("npz");
        Npz.Write(Path.Combine(dir, "0.npz"), new Dictionary<string, Tensor> { ["chunk"] = Tensor.Zeros(DType.Float32, 1, 512) });
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"npz={dir}", Vad, ["state"]));
        Assert.Equal($"{Path.Combine(dir, "0.npz")}: has no array 'sr' (int64 []); add it, or give sr=const:VALUE in the spec", e.Message);
    }

    [Fact]
    public void OpenInputs_NpzSingleArchive_SamplesAlongFirstDim()
    {
        using var tmp = new TempDir();
        string file = tmp.File("all.npz");
        Npz.Write(file, new Dictionary<string, Tensor>
        {
            ["chunk"] = Tensor.FromArray(Enumerable.Range(0, 2 * 512).Select(i => (float)(i / 512)).ToArray(), 2, 512),
            ["sr"] = Tensor.FromArray(new long[] { 16000, 8000 }, 2),
        });
        var src = DataSpec.OpenInputs($"npz={file}", Vad, ["state"]);
        Assert.Equal(2, src.Count);
        Assert.Equal(8000L, src.Read(1)["sr"].GetInt64(0));
        Assert.Equal([1, 512], src.Read(1)["chunk"].Shape);
        Assert.Equal(1f, src.Read(1)["chunk"].ToFloatArray()[0]);
    }

    [Fact]
    public void OpenInputs_SingleInputKindForSeveralInputs_ErrorSuggestsMultiInputForms()
    {
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs("random:4", [ValueInfo.Of("a", DType.String, 1)]));
        Assert.Contains("cannot be filled with random data", e.Message);
        var e2 = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs("fashion-mnist:test", Vad));
        Assert.Contains("this data feeds one input; the model has 3: chunk, state, sr", e2.Message);
        Assert.Contains("npz=DIR", e2.Message);
    }

    [Fact]
    public void OpenInputs_RandomForSeveralInputs_EachDtypeReproducible()
    {
        var src = DataSpec.OpenInputs("random:5,seed=2", Vad, ["state"]);
        Assert.Equal(5, src.Count);
        var a = src.Read(4);
        Assert.Equal(DType.Int64, a["sr"].DType);
        Assert.Equal(a["chunk"].ToFloatArray(), src.Read(4)["chunk"].ToFloatArray());
        Assert.NotEqual(a["chunk"].ToFloatArray(), src.Read(3)["chunk"].ToFloatArray());
    }

    [Fact]
    public void Parse_MultiInputNpy_KeepsFeedsInOrder()
    {
        var spec = Assert.IsType<NpySpec>(DataSpec.Parse("npy=chunk:a/b,sr=const:16000,h_0=states.npy"));
        Assert.Equal("chunk:a/b", spec.Path);
        Assert.Equal([new("sr", "const:16000"), new("h_0", "states.npy")], spec.Inputs);
        Assert.Equal("npy=chunk:a/b,sr=const:16000,h_0=states.npy", spec.ToString());
        var dup = Assert.Throws<LowBitException>(() => DataSpec.Parse("npz=d,sr=const:1,sr=const:2"));
        Assert.Contains("input 'sr' given twice", dup.Message);
    }
}
