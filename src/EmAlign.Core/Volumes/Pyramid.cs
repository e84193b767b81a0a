using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>What <see cref="Pyramid.Downsample"/> computes.</summary>
public sealed record DownsampleOptions
{
    /// <summary>The mags to compute (mag-1 factors, x, y, z); null: the schedule of <see cref="Mode"/> up to <see cref="Coarsest"/>.</summary>
    public IReadOnlyList<Mag>? Mags { get; init; }

    public PyramidMode Mode { get; init; } = PyramidMode.Anisotropic;

    /// <summary>Largest factor of the coarsest mag; null: <see cref="PyramidSchedule.DefaultCoarsest"/> of the volume's x-y size.</summary>
    public int? Coarsest { get; init; }

    /// <summary>Reduction filter; null: the format's choice for the content (mode for WEBKNOSSOS segmentation layers, else mean).</summary>
    public DownsampleFilter? Filter { get; init; }

    /// <summary>Recompute mags that already exist (otherwise they are kept and only missing mags are added).</summary>
    public bool Force { get; init; }

    /// <summary>WEBKNOSSOS layer, where the path is a dataset.</summary>
    public string? Layer { get; init; }
}

/// <param name="Path">The volume that was extended.</param>
/// <param name="Computed">The mags computed, finest first.</param>
/// <param name="Filter">The filter used.</param>
/// <param name="SourceVoxels">Voxels of the finest level (the work's size), all channels.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record DownsampleResult(string Path, IReadOnlyList<Mag> Computed, DownsampleFilter Filter, long SourceVoxels, TimeSpan Elapsed);

/// <summary>Adding resolution levels to stored volumes (OME-Zarr groups, WEBKNOSSOS layers).</summary>
public static class Pyramid
{
    /// <summary>
    /// Computes the missing levels of the volume at <paramref name="path"/> (and, with Force, recomputes existing ones)
    /// from its finest level. New levels are announced in the volume's metadata only once complete.
    /// </summary>
    public static DownsampleResult Downsample(string path, DownsampleOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        using var volume = VolumeFormats.Open(path, new VolumeOpenOptions { Writable = true, Layer = options.Layer });
        var format = VolumeFormats.Get(volume.Format) as IMultiscaleFormat
            ?? throw new EmAlignException($"'{path}' is a {volume.Format} volume, which cannot hold extra levels: expected zarr3 (OME-NGFF) or webknossos; convert it first (emalign convert --format zarr3 --levels ...).", "path");
        var mags = Plan(volume, options);
        var filter = options.Filter ?? format.DefaultFilter(volume);

        var existing = mags.Where(m => volume.FindLevel(m) >= 0).ToList();
        var added = mags.Where(m => volume.FindLevel(m) < 0).ToList();
        var recompute = options.Force ? existing : [];
        var computed = recompute.Concat(added).OrderBy(m => m.Max).ToList();
        if (computed.Count == 0) return new DownsampleResult(volume.Path, [], filter, volume.BlockBytes(volume.Levels[0].Bounds) / volume.DataType.Size(), clock.Elapsed);

        void Fill(EmVolume v, Box3? region) => PyramidBuilder.Fill(v, [.. computed.Select(v.FindLevel)], filter, progress, ct, region);
        if (added.Count > 0)
        {
            using var extended = format.AddLevels(volume, added, Fill);
        }
        else
        {
            Fill(volume, null);
            volume.Flush();
        }
        return new DownsampleResult(volume.Path, computed, filter, volume.BlockBytes(volume.Levels[0].Bounds) / volume.DataType.Size(), clock.Elapsed);
    }

    /// <summary>The mags asked for: explicit ones (checked), or the schedule from level 0 on.</summary>
    private static List<Mag> Plan(EmVolume volume, DownsampleOptions options)
    {
        var first = volume.Levels[0].Mag;
        if (options.Mags is { } explicitMags)
        {
            foreach (var m in explicitMags)
                if (m.X % first.X != 0 || m.Y % first.Y != 0 || m.Z % first.Z != 0 || m == first)
                    throw new EmAlignException($"Mag {m} cannot be computed from the finest level (mag {first}) of '{volume.Path}': expected coarser mags that it divides.", "mags");
            return [.. explicitMags.Distinct()];
        }
        var b = volume.Bounds;
        int coarsest = options.Coarsest ?? PyramidSchedule.DefaultCoarsest(b.SizeX, b.SizeY);
        var vs = volume.VoxelSize == VoxelSize.Unknown ? new VoxelSize(1, 1, 1) : volume.VoxelSize;
        return [.. PyramidSchedule.Mags(vs, coarsest, options.Mode, first)];
    }
}
