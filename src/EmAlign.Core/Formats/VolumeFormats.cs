using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats;

/// <summary>The formats EmAlign knows, and path-based opening and creation over them.</summary>
public static class VolumeFormats
{
    private static readonly List<IVolumeFormat> s_formats = [];

    /// <summary>Known formats, in detection order.</summary>
    public static IReadOnlyList<IVolumeFormat> All
    {
        get { lock (s_formats) return [.. s_formats]; }
    }

    /// <summary>Adds a format (formats register themselves in <see cref="FormatRegistration"/>).</summary>
    public static void Register(IVolumeFormat format)
    {
        lock (s_formats)
            if (!s_formats.Exists(f => f.Name == format.Name)) s_formats.Add(format);
    }

    static VolumeFormats() => FormatRegistration.RegisterBuiltIns();

    public static IVolumeFormat Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new EmAlignException($"Unknown format '{name}': expected one of {string.Join(", ", All.Select(f => f.Name))}.", "format");

    /// <summary>Opens whatever volume <paramref name="path"/> names, detecting its format.</summary>
    public static EmVolume Open(string path, VolumeOpenOptions? options = null)
    {
        options ??= new VolumeOpenOptions();
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
            throw new VolumeNotFoundException($"'{path}' does not exist: expected a TIFF file, a folder of TIFF slices, or a Zarr, N5 or WEBKNOSSOS dataset.", path);
        foreach (var f in All)
            if (f.CanOpen(full)) return f.Open(full, options);
        throw new InvalidVolumeException(
            $"'{path}' is not a volume EmAlign can read: found no .zarray, .zgroup, zarr.json, attributes.json, datasource-properties.json, or TIFF image there.", path);
    }

    /// <summary>Creates a volume in format <paramref name="format"/> at <paramref name="path"/>.</summary>
    public static EmVolume Create(string format, string path, VolumeCreateOptions options) => Get(format).Create(System.IO.Path.GetFullPath(path), options);
}
