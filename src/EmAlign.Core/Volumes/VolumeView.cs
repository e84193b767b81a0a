using EmAlign.Diagnostics;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>
/// A volume as pipelines pass it along: the lazy <see cref="EmVolume"/> handle, the working level, and
/// optionally a region of interest. It carries no voxels (so front ends can show, serialise and pipe it
/// cheaply); operations read what they need through <see cref="Volume"/>.
/// Public sizes and boxes are x, y, z.
/// </summary>
public sealed class VolumeView
{
    /// <param name="volume">The handle; the view shares it, it does not own it.</param>
    /// <param name="level">Index into <see cref="EmVolume.Levels"/> of the working level.</param>
    /// <param name="box">Region of interest in mag-1 voxels; null for the whole volume. Clipped to the volume.</param>
    public VolumeView(EmVolume volume, int level = 0, Box3? box = null)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if ((uint)level >= (uint)volume.Levels.Count)
            throw new EmAlignException(
                $"Level {level} does not exist in '{volume.Path}': expected 0..{volume.Levels.Count - 1} (mags {MagList(volume)}).", "level");
        if (box is { } b && b.Intersect(volume.Bounds).IsEmpty)
            throw new EmAlignException($"The box {b} (mag-1 voxels) does not overlap '{volume.Path}', whose extent is {volume.Bounds}.", "box");
        Volume = volume;
        Level = level;
        Box = box?.Intersect(volume.Bounds);
    }

    /// <summary>The lazy volume handle (reading goes through it).</summary>
    public EmVolume Volume { get; }

    /// <summary>Index of the working level in <see cref="EmVolume.Levels"/> (0 is the finest).</summary>
    public int Level { get; }

    /// <summary>Region of interest in mag-1 voxels (x, y, z start and size), or null for the whole volume.</summary>
    public Box3? Box { get; }

    /// <summary>
    /// The path that opens this volume again: the file or container, plus the dataset inside it
    /// (e.g. "data.n5/lowres"). Named like the -Path parameters so views bind to them by property name.
    /// </summary>
    public string Path => Volume.Dataset.Length == 0 ? Volume.Path : System.IO.Path.Combine(Volume.Path, Volume.Dataset);

    /// <summary>Storage format name ("zarr2", "n5", "tiff", ...).</summary>
    public string Format => Volume.Format;

    public DataType DataType => Volume.DataType;

    public int Channels => Volume.Channels;

    /// <summary>Downsampling factor of the working level relative to mag 1, x, y, z.</summary>
    public Mag Mag => Volume.Levels[Level].Mag;

    /// <summary>Physical size of one mag-1 voxel (x, y, z with unit); a voxel of the working level is this times <see cref="Mag"/>.</summary>
    public VoxelSize VoxelSize => Volume.VoxelSize;

    /// <summary>The region this view covers in mag-1 voxels: <see cref="Box"/>, or the whole volume.</summary>
    public Box3 Region => Box ?? Volume.Bounds;

    /// <summary>The region in voxels of the working level (every level voxel the region touches, clipped to the level).</summary>
    public Box3 LevelRegion => Region.ToMag(Mag).Intersect(Volume.Levels[Level].Bounds);

    /// <summary>Width of the region in voxels of the working level.</summary>
    public long SizeX => LevelRegion.SizeX;

    /// <summary>Height of the region in voxels of the working level.</summary>
    public long SizeY => LevelRegion.SizeY;

    /// <summary>Depth (number of sections) of the region in voxels of the working level.</summary>
    public long SizeZ => LevelRegion.SizeZ;

    /// <summary>The mags of all stored levels, finest first.</summary>
    public IReadOnlyList<Mag> Levels => [.. Volume.Levels.Select(l => l.Mag)];

    /// <summary>
    /// Chooses the working level by index or by mag (not both; neither means level 0).
    /// Throws <see cref="EmAlignException"/> naming "level" or "mag" when the choice does not exist.
    /// </summary>
    public static VolumeView Select(EmVolume volume, int? level = null, Mag? mag = null, Box3? box = null)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (level is not null && mag is not null)
            throw new EmAlignException($"Both a level ({level}) and a mag ({mag}) were given for '{volume.Path}': choose the working level one way only.", "level");
        if (mag is { } m)
        {
            int found = volume.FindLevel(m);
            if (found < 0) throw new EmAlignException($"'{volume.Path}' has no level with mag {m}: expected one of {MagList(volume)}.", "mag");
            return new VolumeView(volume, found, box);
        }
        return new VolumeView(volume, level ?? 0, box);
    }

    /// <summary>The same volume and level with another region (mag-1 voxels; null for all).</summary>
    public VolumeView WithBox(Box3? box) => new(Volume, Level, box);

    /// <summary>The same volume and region at another level.</summary>
    public VolumeView WithLevel(int level) => new(Volume, level, Box);

    public override string ToString() =>
        $"{Path} ({Format}, {DataType.Name()}, {SizeX}x{SizeY}x{SizeZ} at mag {Mag}{(Box is { } b ? $", box {b}" : "")})";

    private static string MagList(EmVolume volume) => string.Join(", ", volume.Levels.Select(l => l.Mag.ToString()));
}
