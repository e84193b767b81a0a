using EmAlign.Diagnostics;
using EmAlign.Volumes;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// A TIFF file read as a z stack: its full-resolution pages in IFD order (thumbnails and masks skipped),
/// or, for ImageJ files that keep one IFD for many contiguous planes ("images=N", files over 4 GiB), the planes
/// synthesised from the first one. All planes share size and voxel type.
/// </summary>
internal sealed record TiffStack(IReadOnlyList<TiffPage> Planes, DataType DataType, int Width, int Height, VoxelSize VoxelSize)
{
    public static TiffStack Read(SafeFileHandle file, string path)
    {
        var tiff = TiffFile.Read(file, path);
        var planes = tiff.Pages.Where(p => !p.IsReducedOrMask).ToList();
        if (planes.Count == 0)
            throw new InvalidVolumeException($"'{path}' holds only reduced-resolution or mask images ({tiff.Pages.Count} IFDs); expected at least one full-resolution page.", path);
        var first = planes[0];
        var type = first.CheckSupported(path);

        long images = TiffMetadata.ImageJImages(TiffMetadata.ImageJ(first.Description));
        if (images > planes.Count) planes = ImageJPlanes(first, images, RandomAccess.GetLength(file), path);

        foreach (var p in planes)
        {
            var t = p.CheckSupported(path);
            if (p.Width != first.Width || p.Height != first.Height || t != type)
                throw new InvalidVolumeException(
                    $"'{path}' page {p.Index} is {p.Width} x {p.Height} {t.Name()}; page {first.Index} is {first.Width} x {first.Height} {type.Name()}: expected every page of a z stack to match.", path);
        }
        return new TiffStack(planes, type, first.Width, first.Height, TiffMetadata.VoxelSizeOf(first));
    }

    /// <summary>ImageJ's single-IFD layout: plane i starts at the first plane's offset + i × plane bytes.</summary>
    private static List<TiffPage> ImageJPlanes(TiffPage first, long images, long fileLength, string path)
    {
        if (first.Compression != TiffCompression.None || first.IsTiled)
            throw new InvalidVolumeException(
                $"'{path}' declares images={images} in its ImageJ description but has fewer IFDs, and its first page is {(first.IsTiled ? "tiled" : "compressed")}; expected the contiguous uncompressed planes ImageJ writes.", path);
        long planeBytes = first.PlaneBytes, start = first.Offsets[0];
        if (images > int.MaxValue || start + images * planeBytes > fileLength)
            throw new CorruptDataException(
                $"'{path}' is truncated: its ImageJ description declares images={images}, planes of {planeBytes} bytes from byte {start}, but the file has {fileLength} bytes.", path);
        var planes = new List<TiffPage>((int)images);
        for (int i = 0; i < images; i++)
            planes.Add(i == 0 ? first : first with { Index = i, Offsets = [start + i * planeBytes], ByteCounts = [planeBytes], RowsPerStrip = first.Height });
        return planes;
    }
}
