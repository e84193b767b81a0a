using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// "tiff": one TIFF or BigTIFF file as a z stack, one page per z plane (chunk shape (1, height, width)).
/// Reads either byte order, strips or tiles, uncompressed, LZW, Deflate and PackBits with predictors 2 and 3,
/// ImageJ single-IFD hyperstacks and tifffile shaped files. Writes uncompressed little-endian stacks with ImageJ
/// calibration (BigTIFF past 4 GiB).
/// </summary>
internal sealed class TiffFormat : IVolumeFormat
{
    public string Name => "tiff";

    /// <summary>
    /// A file named .tif/.tiff, or any file starting with a TIFF header. A .tif that is not TIFF is claimed too,
    /// so that opening it reports what its bytes are rather than "unknown format".
    /// </summary>
    public bool CanOpen(string path) => File.Exists(path) && (TiffFolderArray.IsTiffName(path) || TiffFile.HasTiffHeader(path));

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        if (!File.Exists(path))
            throw new VolumeNotFoundException($"'{path}' does not exist: expected a TIFF file.", path);
        if (options.Writable)
            throw new EmAlignException($"'{path}' cannot be opened for writing: TIFF files are read-only here; create a new volume to write.", path);
        var array = TiffFileArray.Open(path);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, array)], array.VoxelSize, options.Cache);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        var (z, y, x) = CheckCreateOptions(options, path, Name);
        var layout = new TiffStackLayout(x, y, z, options.DataType, options.VoxelSize);
        var writer = TiffStackWriter.Create(path, layout, options.DataType, options.FillValue, options.Force);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, writer)], options.VoxelSize, options.Cache);
    }

    /// <summary>Checks what a TIFF writer can honour and returns the (z, y, x) shape.</summary>
    internal static (long Z, int Y, int X) CheckCreateOptions(VolumeCreateOptions o, string path, string format)
    {
        if (o.Shape.Count != 3 || o.Shape.Any(s => s <= 0))
            throw new EmAlignException($"A {format} volume is (z, y, x) with positive sizes; got shape ({string.Join(", ", o.Shape)}) for '{path}'.", "Shape");
        if (o.Shape[1] > int.MaxValue || o.Shape[2] > int.MaxValue || o.Shape[1] * o.Shape[2] * o.DataType.Size() > Array.MaxLength)
            throw new EmAlignException($"A {format} page of {o.Shape[2]} x {o.Shape[1]} {o.DataType.Name()} exceeds {Array.MaxLength} bytes; one page is one chunk and must fit in memory.", "Shape");
        if (o.ChunkShape is { } c && (c.Count != 3 || c[0] != 1 || c[1] != o.Shape[1] || c[2] != o.Shape[2]))
            throw new EmAlignException($"A {format} volume stores one page per chunk, so its chunk shape is (1, {o.Shape[1]}, {o.Shape[2]}); got ({string.Join(", ", c)}).", "ChunkShape");
        if (ChunkCodecs.Create(o.Codec) is not null)
            throw new EmAlignException($"{format} output is written uncompressed; got codec '{o.Codec}', expected 'none'.", "Codec");
        if (o.ExtraMags.Count > 0)
            throw new EmAlignException($"A {format} volume has one resolution level; got {o.ExtraMags.Count} extra mag(s) ({string.Join(", ", o.ExtraMags)}): write them to a Zarr, N5 or WEBKNOSSOS dataset.", "ExtraMags");
        return (o.Shape[0], (int)o.Shape[1], (int)o.Shape[2]);
    }
}
