using SkiaSharp;

namespace LowBit.Data;

/// <summary>Source rectangles for non-square outputs (<c>size=HxW</c>) and widths for <c>keep-aspect</c>.</summary>
internal static class ImageShapes
{
    /// <summary>The part of a width×height image that becomes the outW×outH sample. Square outputs keep
    /// <see cref="ImageDecoder.SourceRect"/> (Resize(S) + CenterCrop). Otherwise, with a center crop: resize by
    /// k = max(outW/width, outH/height)·256/224 so both axes cover the output with the same margin as the square case,
    /// then cut the centered outW×outH, i.e. a centered source rect of (outW/k)×(outH/k). Without a crop: the whole image.</summary>
    public static SKRect SourceRect(int width, int height, int outW, int outH, ImageCrop crop)
    {
        if (outW == outH) return ImageDecoder.SourceRect(width, height, outW, crop);
        if (crop == ImageCrop.None) return new SKRect(0, 0, width, height);
        double k = Math.Max((double)outW / width, (double)outH / height) * 256.0 / 224.0;
        double w = Math.Min(width, outW / k), h = Math.Min(height, outH / k);
        double left = (width - w) / 2, top = (height - h) / 2;
        return new SKRect((float)left, (float)top, (float)(left + w), (float)(top + h));
    }

    /// <summary>Width that keeps a width×height image's aspect at output height <paramref name="outH"/>: round(outH·w/h) ≥ 1.</summary>
    public static int KeepAspectWidth(int width, int height, int outH) =>
        Math.Clamp((int)Math.Round((double)outH * width / height), 1, 8192);
}
