using System.Text;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Fuzz;

/// <summary>
/// One parser under test. <see cref="Run"/> feeds the bytes through the parser; any exception other than
/// <see cref="LowBitException"/> (the documented error type of every LowBit parser) is a finding.
/// </summary>
internal sealed record Target(string Name, int MaxLength, string[] Dictionary, Action<byte[]> Run)
{
    /// <summary>IDX has only a path-based reader (it sniffs gzip from the file); inputs go through one scratch file in
    /// memory-backed /dev/shm when present.</summary>
    private static readonly string Scratch = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        $"lowbit-fuzz-{Environment.ProcessId}.idx");

    public static IReadOnlyList<Target> All { get; } =
    [
        new("onnx", 16384, ["\x08\x07", "\x12\x04", "\x3a", "\x42\x04\x08\x0d", "Conv", "Gemm", "If", "Loop", "MatMul", "ai.onnx",
            "com.microsoft", "\x0a\x01x", "\x12\x01y", "external_data", "location"],
            b => OnnxImporter.Load(b, baseDir: null, "fuzz.onnx")),
        new("npy", 4096, ["\x93NUMPY\x01\x00", "\x93NUMPY\x02\x00", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            "'descr'", "'<f4'", "'<i8'", "'|u1'", "'>f8'", "'<f2'", "'|b1'", "'fortran_order'", "True", "False", "'shape'", "(", ")", ", "],
            b => Npy.Read(new MemoryStream(b), "fuzz.npy")),
        new("npz", 8192, ["PK\x03\x04", "PK\x01\x02", "PK\x05\x06", ".npy", "\x93NUMPY\x01\x00", "'descr': '<f4'", "'shape': (2,)"],
            b => Npz.Read(new MemoryStream(b), "fuzz.npz")),
        new("idx", 4096, ["\x00\x00\x08\x01", "\x00\x00\x08\x03", "\x00\x00\x0d\x02", "\x00\x00\x0e\x01", "\x1f\x8b\x08\x00", "\xff\xff\xff\xff"],
            b => { File.WriteAllBytes(Scratch, b); Idx.Read(Scratch); }),
        new("dataspec", 512, ["fashion-mnist", ":test", ":train", ":test1k", "fashion-mnist-1k", "idx=", "labels=", "classes=", "images=",
            "preset=", "size=", "crop=", "crops=", "seed=", "npy=", "npz=", "const:", "random", ":", "=", ",", "text=", "seq=", "val=",
            "vocab=", "height=", "keep-aspect", "imagenet", "0.5", "-1", "999999999999"],
            b => DataSpec.Parse(Encoding.UTF8.GetString(b))),
        new("recipe", 2048, ["{", "}", "[", "]", "\"exclude\"", "\"nodes\"", "\"opTypes\"", "\"float\"", "\"weights\"", "\"activations\"",
            "\"format\"", "\"granularity\"", "\"scheme\"", "\"range\"", "\"observer\"", "\"int4\"", "\"int8\"", "\"uint8\"", "\"fp8e4m3\"",
            "\"group:32\"", "\"per-channel\"", "\"symmetric\"", "\"mse\"", "\"entropy\"", "true", "null", ":", ","],
            b => QuantRecipe.Parse(Encoding.UTF8.GetString(b), "fuzz.json")),
    ];

    public static Target Get(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown target '{name}'; targets: {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>Null when the input is handled as documented (parsed, or refused with a LowBitException).</summary>
    public Exception? Check(byte[] input)
    {
        try
        {
            Run(input);
            return null;
        }
        catch (LowBitException)
        {
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    public static void DeleteScratch() { try { File.Delete(Scratch); } catch (IOException) { } }
}
