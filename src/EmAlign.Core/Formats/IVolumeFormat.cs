using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats;

/// <summary>A storage format that can recognise, open and create volumes.</summary>
public interface IVolumeFormat
{
    /// <summary>Name used by the CLI's --format and by <see cref="EmVolume.Format"/>: "zarr2", "n5", "tiff", "tiff-folder".</summary>
    string Name { get; }

    /// <summary>True when the existing <paramref name="path"/> is a volume (or multiscale group) of this format.</summary>
    bool CanOpen(string path);

    EmVolume Open(string path, VolumeOpenOptions options);

    /// <summary>
    /// Creates an empty volume at <paramref name="path"/> (and any parent groups), writing its metadata so that
    /// other tools can open it. Throws <see cref="Diagnostics.OutputExistsException"/> when something exists
    /// there and <see cref="VolumeCreateOptions.Force"/> is not set; with Force, the old dataset is removed first.
    /// </summary>
    EmVolume Create(string path, VolumeCreateOptions options);
}

/// <summary>How to open a volume.</summary>
public sealed record VolumeOpenOptions
{
    /// <summary>Cache to share; null gives the volume its own of <see cref="ChunkCache.DefaultCapacityBytes"/>.</summary>
    public ChunkCache? Cache { get; init; }

    /// <summary>Open for writing too.</summary>
    public bool Writable { get; init; }

    /// <summary>WEBKNOSSOS layer name, where the path is a dataset.</summary>
    public string? Layer { get; init; }
}

/// <summary>What to create.</summary>
public sealed record VolumeCreateOptions
{
    public required DataType DataType { get; init; }

    /// <summary>Mag-1 shape in C order: (z, y, x) or (c, z, y, x).</summary>
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>Chunk shape in C order (same rank as <see cref="Shape"/>); null lets the format choose.</summary>
    public IReadOnlyList<int>? ChunkShape { get; init; }

    /// <summary>
    /// Shard shape in C order (same rank as <see cref="Shape"/>, each a multiple of the chunk shape) for formats that
    /// group chunks into shard files (Zarr v3 sharding_indexed, WKW files); null: the format's default.
    /// </summary>
    public IReadOnlyList<int>? ShardShape { get; init; }

    /// <summary>Codec name as the CLI spells it: none, zlib, gzip, lz4, bz2, xz, blosc-lz4, blosc-lz4hc, blosc-zlib, blosc-blosclz.</summary>
    public string Codec { get; init; } = "none";

    /// <summary>Compression level where the codec has one; null for the codec's default.</summary>
    public int? Level { get; init; }

    public VoxelSize VoxelSize { get; init; } = VoxelSize.Unknown;

    /// <summary>World position of voxel (0,0,0), x, y, z in the voxel size's unit.</summary>
    public (double X, double Y, double Z) Offset { get; init; }

    /// <summary>Downsampled levels to create besides mag 1 (empty: a plain array).</summary>
    public IReadOnlyList<Mag> ExtraMags { get; init; } = [];

    public double FillValue { get; init; }

    public bool Force { get; init; }

    public ChunkCache? Cache { get; init; }
}
