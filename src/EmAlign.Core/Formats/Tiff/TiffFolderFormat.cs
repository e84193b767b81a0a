using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// "tiff-folder": a folder of single-page TIFF slices, one per z plane in natural file-name order
/// (chunk = one file, shape (1, height, width)). Writes slice_0000.tif, … uncompressed with ImageJ calibration.
/// </summary>
internal sealed class TiffFolderFormat : IVolumeFormat
{
    /// <summary>Files that make a folder another format's dataset rather than a stack of slices.</summary>
    private static readonly string[] s_otherFormats =
        [".zarray", ".zgroup", ".zattrs", "zarr.json", "attributes.json", "datasource-properties.json"];

    public string Name => "tiff-folder";

    public bool CanOpen(string path) =>
        Directory.Exists(path)
        && !s_otherFormats.Any(f => File.Exists(Path.Combine(path, f)))
        && TiffFolderArray.ListSlices(path).Length > 0;

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        if (!Directory.Exists(path))
            throw new VolumeNotFoundException($"'{path}' does not exist: expected a folder of TIFF slices.", path);
        if (options.Writable)
            throw new EmAlignException($"'{path}' cannot be opened for writing: folders of TIFF slices are read-only here; create a new volume to write.", path);
        var array = TiffFolderArray.Open(path);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, array)], array.VoxelSize, options.Cache);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        var (z, y, x) = TiffFormat.CheckCreateOptions(options, path, Name);
        var writer = TiffFolderWriter.Create(path, z, x, y, options.DataType, options.VoxelSize, options.FillValue, options.Force);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, writer)], options.VoxelSize, options.Cache);
    }
}
