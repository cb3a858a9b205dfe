using System.Runtime.InteropServices;
using SkiaSharp;

namespace LowBit.Data;

/// <summary>Decodes image files with SkiaSharp into opaque RGBA8888 bitmaps and resamples regions of them.</summary>
internal static class ImageDecoder
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif"];

    public static bool HasImageExtension(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>True when Skia recognizes the file's header (cheap: no pixels are decoded).</summary>
    public static bool IsReadable(string path)
    {
        try
        {
            using var codec = SKCodec.Create(path);
            return codec is not null && codec.Info.Width > 0 && codec.Info.Height > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Decodes the first frame upright (EXIF orientation applied) as RGBA8888 with alpha dropped (set to 255,
    /// colour values kept as stored, like PIL's <c>convert("RGB")</c>). A truncated file is an error naming it, never a
    /// half-decoded image (folders drop such files when opened, see <see cref="ImageIntegrity"/>).
    /// With <paramref name="minShorterSide"/> &gt; 0, codecs that can decode downscaled (JPEG: 1/2, 1/4, 1/8 in the DCT)
    /// do so while the shorter side stays ≥ that many pixels: a 4000×3000 photo for a 224 crop decodes ~16× faster.
    /// </summary>
    public static SKBitmap Decode(string path, int minShorterSide = 0)
    {
        using var codec = SKCodec.Create(path)
            ?? throw new LowBitException(ErrorKind.InvalidInput, $"{path}: not a readable image");
        var size = DecodeSize(codec, minShorterSide);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new uint[info.Width * info.Height];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        SKCodecResult r;
        try { r = codec.GetPixels(info, handle.AddrOfPinnedObject()); }
        finally { handle.Free(); }
        if (r == SKCodecResult.IncompleteInput)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: truncated image (the data ends before the last row); re-encode or remove it");
        if (r != SKCodecResult.Success)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: cannot decode image ({r})");
        // RGBA8888 in memory is bytes R,G,B,A: on little-endian the uint is A<<24|B<<16|G<<8|R.
        foreach (ref uint p in pixels.AsSpan()) p |= 0xFF000000u;
        var (w, h, upright) = Orient(pixels, info.Width, info.Height, codec.EncodedOrigin);
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        MemoryMarshal.AsBytes(upright.AsSpan()).CopyTo(bmp.GetPixelSpan());
        return bmp;
    }

    private static SKSizeI DecodeSize(SKCodec codec, int minShorterSide)
    {
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        int shorter = Math.Min(full.Width, full.Height);
        if (minShorterSide <= 0 || shorter <= 2 * minShorterSide) return full;
        // Skia rounds a requested scale to a supported one, possibly below it: try 1/8, 2/8, … and keep the first
        // (smallest) that is large enough.
        for (int eighths = 1; eighths < 8; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (Math.Min(scaled.Width, scaled.Height) >= minShorterSide) return scaled;
        }
        return full;
    }

    /// <summary>Maps stored pixels to display orientation. For each displayed (x', y') the stored (x, y) is, with
    /// W×H the stored size: 2 (W−1−x', y'), 3 (W−1−x', H−1−y'), 4 (x', H−1−y'), 5 (y', x'), 6 (y', H−1−x'),
    /// 7 (W−1−y', H−1−x'), 8 (W−1−y', x'). Origins 5–8 swap width and height.</summary>
    private static (int W, int H, uint[] Pixels) Orient(uint[] src, int w, int h, SKEncodedOrigin origin)
    {
        int o = (int)origin;
        if (o is <= 1 or > 8) return (w, h, src);
        bool swap = o >= 5;
        int dw = swap ? h : w, dh = swap ? w : h;
        var dst = new uint[src.Length];
        for (int y2 = 0; y2 < dh; y2++)
            for (int x2 = 0; x2 < dw; x2++)
            {
                (int x, int y) = o switch
                {
                    2 => (w - 1 - x2, y2),
                    3 => (w - 1 - x2, h - 1 - y2),
                    4 => (x2, h - 1 - y2),
                    5 => (y2, x2),
                    6 => (y2, h - 1 - x2),
                    7 => (w - 1 - y2, h - 1 - x2),
                    _ => (w - 1 - y2, x2),
                };
                dst[y2 * dw + x2] = src[y * w + x];
            }
        return (dw, dh, dst);
    }

    /// <summary>The source rectangle that <paramref name="crop"/> maps onto a size×size output.</summary>
    public static SKRect SourceRect(int width, int height, int size, ImageCrop crop)
    {
        if (crop == ImageCrop.None) return new SKRect(0, 0, width, height);
        // As torchvision's Resize(S) + CenterCrop(size): the shorter side becomes S = round(size·256/224), the longer
        // floor(S·longer/shorter); the crop starts at round((resized − size)/2) per axis. Mapped back to source pixels
        // by the per-axis scales kx = rw/width, ky = rh/height.
        int shorter = Math.Min(width, height);
        double s = Math.Round(size * 256.0 / 224.0);
        double rw = width == shorter ? s : Math.Floor(s * width / shorter);
        double rh = height == shorter ? s : Math.Floor(s * height / shorter);
        double kx = rw / width, ky = rh / height;
        double left = Math.Round((rw - size) / 2), top = Math.Round((rh - size) / 2);
        return new SKRect((float)(left / kx), (float)(top / ky), (float)((left + size) / kx), (float)((top + size) / ky));
    }

    /// <summary>Resamples <paramref name="source"/> (in <paramref name="bitmap"/>'s pixels) to an outW×outH RGBA
    /// buffer: bilinear with linear mipmaps, so large downscales average instead of aliasing.</summary>
    public static void Render(SKBitmap bitmap, SKRect source, int outW, int outH, Span<byte> rgba)
    {
        using var dst = new SKBitmap(new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(dst))
        using (var image = SKImage.FromBitmap(bitmap))
        {
            canvas.Clear(SKColors.Black);
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            canvas.DrawImage(image, source, new SKRect(0, 0, outW, outH), sampling);
        }
        dst.GetPixelSpan().CopyTo(rgba);
    }
}
