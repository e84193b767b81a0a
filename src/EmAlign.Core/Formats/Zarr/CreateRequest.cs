using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// The validated shape of a new chunked volume (Zarr or N5): C-order shape and chunks, the mags to create
/// (mag 1 first) and the axis roles. Validation happens before anything touches the disk.
/// </summary>
internal sealed record CreateRequest(long[] Shape, int[] Chunks, IReadOnlyList<Mag> Mags, AxisRole[] Roles)
{
    public static CreateRequest From(string path, VolumeCreateOptions options)
    {
        var shape = options.Shape.ToArray();
        int rank = shape.Length;
        if (rank is not (3 or 4) || shape.Any(s => s < 1))
            throw new EmAlignException($"Shape [{string.Join(", ", shape)}] cannot be created: expected (z, y, x) or (c, z, y, x) with sizes >= 1.", "Shape");
        // Default: up to 64 voxels per spatial axis, all channels in one chunk.
        var chunks = options.ChunkShape?.ToArray() ?? [.. shape.Select((s, i) => (int)Math.Min(s, rank == 4 && i == 0 ? s : 64))];
        if (chunks.Length != rank || chunks.Any(c => c < 1))
            throw new EmAlignException($"Chunk shape [{string.Join(", ", chunks)}] does not fit shape [{string.Join(", ", shape)}]: expected {rank} sizes >= 1.", "ChunkShape");
        CheckFill(options.FillValue, options.DataType);
        var mags = new List<Mag> { Mag.One };
        foreach (var m in options.ExtraMags)
        {
            if (m.X < 1 || m.Y < 1 || m.Z < 1) throw new EmAlignException($"Mag {m} is not a downsampling factor: expected factors >= 1.", "ExtraMags");
            if (!mags.Contains(m)) mags.Add(m);
        }
        return new CreateRequest(shape, chunks, mags, AxisRoles.Default(rank, path));
    }

    /// <summary>True when levels besides mag 1 are asked for (the path becomes a pyramid group).</summary>
    public bool IsPyramid => Mags.Count > 1;

    /// <summary>Shape of the level at <paramref name="mag"/>: spatial sizes divided by the mag, rounded up; channels kept.</summary>
    public long[] LevelShape(Mag mag)
    {
        var r = (long[])Shape.Clone();
        r[^1] = Box3.CeilDiv(Shape[^1], mag.X);
        r[^2] = Box3.CeilDiv(Shape[^2], mag.Y);
        r[^3] = Box3.CeilDiv(Shape[^3], mag.Z);
        return r;
    }

    /// <summary>
    /// Without Force an existing path is an error; with Force a node of the format (<paramref name="isNode"/>)
    /// or an empty folder there is deleted first. Other folders and files are never deleted.
    /// </summary>
    public static void RemoveExisting(string path, bool force, Func<string, bool> isNode, string formatName)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) return;
        if (!force) throw new OutputExistsException(path);
        if (File.Exists(path) || (!isNode(path) && Directory.EnumerateFileSystemEntries(path).Any()))
            throw new InvalidVolumeException($"'{path}' exists and is not a {formatName} dataset; -Force replaces only {formatName} datasets, so remove it yourself if it is meant to go.", path);
        FileStore.DeleteTree(path);
    }

    /// <summary>The voxel size of a level at <paramref name="mag"/>.</summary>
    public static VoxelSize LevelVoxelSize(VoxelSize vs, Mag mag) => vs with { X = vs.X * mag.X, Y = vs.Y * mag.Y, Z = vs.Z * mag.Z };

    private static void CheckFill(double fill, DataType type)
    {
        if (type.IsFloat()) return;
        double lo = type.IsSigned() ? -Math.Pow(2, 8 * type.Size() - 1) : 0, hi = Math.Pow(2, 8 * type.Size() - (type.IsSigned() ? 1 : 0)) - 1;
        if (double.IsNaN(fill) || fill != Math.Floor(fill) || fill < lo || fill > hi)
            throw new EmAlignException($"Fill value {fill} does not fit {type.Name()}: expected a whole number in [{lo}, {hi}].", "FillValue");
    }
}
