namespace LowBit.Data;

/// <summary>
/// Whole-file checks that catch truncated or mislabelled images when a folder is opened, reading only the first 16 and
/// the last 64 bytes: Skia's header check passes a file cut off mid-stream, which would later decode half grey.
/// Complete files end with PNG's IEND chunk, JPEG's EOI marker FF D9 (entropy-coded data stuffs every FF as FF 00, so the
/// pair only occurs as a marker), GIF's trailer 0x3B; BMP and WebP (RIFF) headers state their file size.
/// </summary>
internal static class ImageIntegrity
{
    private const int TailBytes = 64;
    private static ReadOnlySpan<byte> PngMagic => [0x89, 0x50, 0x4E, 0x47];
    private static ReadOnlySpan<byte> JpegStart => [0xFF, 0xD8];
    private static ReadOnlySpan<byte> JpegEnd => [0xFF, 0xD9];

    /// <summary>Null when <paramref name="path"/> looks like a complete image, else a short reason for the warning.</summary>
    public static string? Problem(string path)
    {
        if (!ImageDecoder.IsReadable(path)) return "not a readable image";
        byte[] head, tail;
        long length;
        try
        {
            using var f = File.OpenRead(path);
            length = f.Length;
            head = new byte[(int)Math.Min(16, length)];
            f.ReadExactly(head);
            tail = new byte[(int)Math.Min(TailBytes, length)];
            f.Seek(length - tail.Length, SeekOrigin.Begin);
            f.ReadExactly(tail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({e.Message})";
        }
        ReadOnlySpan<byte> h = head, t = tail;
        if (h.StartsWith(PngMagic))
            return t.IndexOf("IEND"u8) >= 0 ? null : "truncated: no PNG IEND chunk";
        if (h.StartsWith(JpegStart))
            return t.IndexOf(JpegEnd) >= 0 ? null : "truncated: no JPEG end-of-image marker";
        if (h.StartsWith("GIF8"u8))
            return t.TrimEnd((byte)0) is { Length: > 0 } g && g[^1] == 0x3B ? null : "truncated: no GIF trailer";
        if (h.StartsWith("BM"u8) && h.Length >= 6)
            return Declared(h, 2, 0, length);
        if (h.StartsWith("RIFF"u8) && h.Length >= 12 && h[8..12].SequenceEqual("WEBP"u8))
            return Declared(h, 4, 8, length);
        return null;
    }

    /// <summary>Null when the little-endian uint32 size at <paramref name="offset"/> (+ <paramref name="extra"/> bytes
    /// it does not count) fits the file; 0 means "not stated" in BMP headers.</summary>
    private static string? Declared(ReadOnlySpan<byte> h, int offset, long extra, long length)
    {
        uint size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(h[offset..]);
        return size == 0 || size + extra <= length ? null : $"truncated: {length} of {size + extra} bytes";
    }

    /// <summary>"a.png (reason), b.jpg (reason), and 3 more": at most <paramref name="shown"/> names, relative to
    /// <paramref name="directory"/>.</summary>
    public static string Describe(IReadOnlyList<(string File, string Reason)> bad, string directory, int shown = 5) =>
        string.Join(", ", bad.Take(shown).Select(b => $"{Path.GetRelativePath(directory, b.File)} ({b.Reason})"))
        + (bad.Count > shown ? $", and {bad.Count - shown} more" : "");
}
