using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>How <see cref="WebKnossosLayers.Add"/> stores a volume as a layer.</summary>
public sealed record AddLayerOptions
{
    /// <summary>Layer name.</summary>
    public required string Name { get; init; }

    /// <summary>"color" or "segmentation" (segmentation layers are downsampled by mode).</summary>
    public string Category { get; init; } = "color";

    /// <summary>"zarr3" (default) or "wkw".</summary>
    public string DataFormat { get; init; } = "zarr3";

    /// <summary>Codec (see <see cref="LayerSpec.Codec"/>); null for the format's default.</summary>
    public string? Codec { get; init; }

    public int? CodecLevel { get; init; }

    /// <summary>
    /// The dataset mag the written voxels are at (e.g. 4-4-1 for a result computed at that mag); null: derived from the
    /// source's voxel size against the dataset's (mag 1 when the source has no voxel size or the dataset is new).
    /// </summary>
    public Mag? Mag { get; init; }

    /// <summary>Coarser mags to compute; null: WEBKNOSSOS' anisotropic schedule down to about 100 voxels across; empty: none.</summary>
    public IReadOnlyList<Mag>? Mags { get; init; }

    /// <summary>Reduction filter for the coarser mags; null: mode for segmentation, mean for color.</summary>
    public DownsampleFilter? Filter { get; init; }

    /// <summary>Where the layer starts in the dataset's mag-1 voxels (x, y, z); null: the source region's start.</summary>
    public (long X, long Y, long Z)? TopLeft { get; init; }

    /// <summary>Replace an existing layer of that name once the new one is complete.</summary>
    public bool Force { get; init; }
}

/// <param name="Dataset">The dataset folder.</param>
/// <param name="Layer">The layer's name.</param>
/// <param name="BoundingBox">The layer's box in mag-1 voxels.</param>
/// <param name="Mags">Its mags, finest first.</param>
/// <param name="Bytes">Voxel bytes copied at the finest mag.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record AddLayerResult(string Dataset, string Layer, Box3 BoundingBox, IReadOnlyList<Mag> Mags, long Bytes, TimeSpan Elapsed);

/// <summary>Storing volumes as WEBKNOSSOS layers.</summary>
public static class WebKnossosLayers
{
    /// <summary>
    /// Writes <paramref name="region"/> (mag-1 voxels; null for all) of level <paramref name="level"/> of <paramref name="source"/>
    /// as a new layer of the dataset in <paramref name="datasetDir"/> (created when missing), computes its coarser mags,
    /// and lists it in datasource-properties.json once complete.
    /// </summary>
    public static AddLayerResult Add(EmVolume source, int level, Box3? region, string datasetDir, AddLayerOptions options,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        datasetDir = Path.GetFullPath(datasetDir);
        var view = new VolumeView(source, level, region);
        var levelBox = view.LevelRegion;
        if (levelBox.IsEmpty) throw new EmAlignException($"The region {view.Region} holds no voxels of level {level} of '{view.Path}'.", "box");

        var scale = WebKnossosDataset.IsDataset(datasetDir) ? DatasourceProperties.Read(datasetDir).Scale : null;
        var srcMag = source.Levels[level].Mag;
        var srcVoxel = source.VoxelSize with { X = source.VoxelSize.X * srcMag.X, Y = source.VoxelSize.Y * srcMag.Y, Z = source.VoxelSize.Z * srcMag.Z };
        var mag = options.Mag ?? MagAgainst(srcVoxel, scale, source.Path);
        scale ??= srcVoxel == VoxelSize.Unknown ? new VoxelSize(1, 1, 1) : srcVoxel with { X = srcVoxel.X / mag.X, Y = srcVoxel.Y / mag.Y, Z = srcVoxel.Z / mag.Z };

        // Unless told otherwise the region goes where it is: its first voxel, shifted by the source's offset (a layer
        // opened from a dataset starts at its topLeft), counted in voxels of the written mag.
        var at = source.VoxelSize == VoxelSize.Unknown ? (0L, 0L, 0L)
            : ((long)Math.Round(source.Offset.X / srcVoxel.X), (long)Math.Round(source.Offset.Y / srcVoxel.Y), (long)Math.Round(source.Offset.Z / srcVoxel.Z));
        var tl = options.TopLeft ?? ((levelBox.X + at.Item1) * mag.X, (levelBox.Y + at.Item2) * mag.Y, (levelBox.Z + at.Item3) * mag.Z);
        if (tl.X % mag.X != 0 || tl.Y % mag.Y != 0 || tl.Z % mag.Z != 0)
            throw new EmAlignException($"The layer's topLeft ({tl.X}, {tl.Y}, {tl.Z}) is not a multiple of its mag {mag}: WEBKNOSSOS addresses mag {mag} voxels from multiples of it.", "TopLeft");
        var box = new Box3(tl.X, tl.Y, tl.Z, levelBox.SizeX * mag.X, levelBox.SizeY * mag.Y, levelBox.SizeZ * mag.Z);
        var coarser = options.Mags ?? PyramidSchedule.Mags(scale, PyramidSchedule.DefaultCoarsest(box.SizeX, box.SizeY), PyramidMode.Anisotropic, mag);
        foreach (var m in coarser)
            if (m.X % mag.X != 0 || m.Y % mag.Y != 0 || m.Z % mag.Z != 0 || m.Max <= mag.Max)
                throw new EmAlignException($"Mag {m} cannot be computed from the written mag {mag}: expected coarser mags that it divides.", "Mags");

        var spec = new LayerSpec
        {
            Name = options.Name, Category = options.Category, DataFormat = options.DataFormat, DataType = source.DataType, Channels = source.Channels,
            BoundingBox = box, Mags = [mag, .. coarser], Codec = options.Codec, CodecLevel = options.CodecLevel, VoxelSize = scale, Force = options.Force,
        };
        using var writer = WebKnossosLayerWriter.Begin(datasetDir, spec, new ChunkCache(ChunkCache.DefaultCapacityBytes));
        PyramidBuilder.Copy(source, level, levelBox, writer.Volume, (tl.X / mag.X, tl.Y / mag.Y, tl.Z / mag.Z), progress, ct);
        writer.Complete(0, options.Filter, progress, ct);
        return new AddLayerResult(datasetDir, options.Name, box, spec.Mags, source.BlockBytes(levelBox), clock.Elapsed);
    }

    /// <summary>The dataset mag whose voxels measure <paramref name="voxel"/>: whole ratios to the dataset's scale.</summary>
    private static Mag MagAgainst(VoxelSize voxel, VoxelSize? scale, string source)
    {
        if (scale is null || voxel == VoxelSize.Unknown) return Mag.One;
        double f = Metadata.Units.Factor(voxel.Unit, scale.Unit) ?? 1;
        int R(double a, double b, char axis)
        {
            double r = a * f / b, m = Math.Round(r);
            if (m < 1 || Math.Abs(r - m) > 1e-3 * m)
                throw new EmAlignException($"'{source}' has {axis} voxels of {a:g6} {voxel.Unit}, which is no whole multiple of the dataset's {b:g6} {scale.Unit}: give the layer's mag explicitly.", "Mag");
            return (int)m;
        }
        return new Mag(R(voxel.X, scale.X, 'x'), R(voxel.Y, scale.Y, 'y'), R(voxel.Z, scale.Z, 'z'));
    }
}
