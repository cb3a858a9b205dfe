using System.IO.Compression;
using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>
/// Reads NumPy <c>.npz</c> archives (<c>np.savez</c>: stored; <c>np.savez_compressed</c>: deflated): a zip whose entries
/// <c>NAME.npy</c> each hold one array, read by <see cref="Npy.Read(Stream, string)"/> with its header checks. Entry
/// order is kept (NumPy writes zip64 extra fields; they are read). An entry other than <c>*.npy</c> is an error naming it.
/// </summary>
public static class Npz
{
    /// <summary>The arrays of <paramref name="path"/> by name (the entry name without <c>.npy</c>).</summary>
    public static IReadOnlyDictionary<string, Tensor> Read(string path)
    {
        var fs = Npy.OpenRead(path);
        using (fs) return Read(fs, path);
    }

    /// <summary>Reads an archive from <paramref name="stream"/> (seekable); <paramref name="name"/> is used in messages.</summary>
    public static IReadOnlyDictionary<string, Tensor> Read(Stream stream, string name)
    {
        var arrays = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue;
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                    throw new LowBitException(ErrorKind.InvalidInput, $"{name}: entry '{entry.FullName}' is not a .npy array (an .npz holds only NAME.npy entries)");
                string key = entry.FullName[..^4];
                using var s = entry.Open();
                var t = Npy.Read(s, $"{name}:{entry.FullName}");
                if (!arrays.TryAdd(key, t)) throw new LowBitException(ErrorKind.InvalidInput, $"{name}: array '{key}' appears twice");
            }
        }
        catch (InvalidDataException e)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: not a valid .npz (zip) archive ({e.Message})");
        }
        catch (IOException e)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{name}: cannot read ({e.Message})");
        }
        if (arrays.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{name}: the archive holds no arrays");
        return arrays;
    }

    /// <summary>Writes <paramref name="arrays"/> as an uncompressed archive (what <c>np.savez</c> writes), atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> arrays, bool compress = false) =>
        Onnx.AtomicFile.Write(path, s =>
        {
            using var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (key, t) in arrays)
            {
                var entry = zip.CreateEntry(key + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using var es = entry.Open();
                Npy.Write(es, t);
            }
        });
}
