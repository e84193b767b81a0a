using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>One resolution level of a volume: its downsampling factor relative to mag 1 and its stored array.</summary>
public sealed record VolumeLevel(Mag Mag, IChunkedArray Array)
{
    /// <summary>Level size in its own voxels, x, y, z.</summary>
    public (long X, long Y, long Z) Size => (Array.Shape[^1], Array.Shape[^2], Array.Shape[^3]);

    /// <summary>Chunk size in voxels, x, y, z.</summary>
    public (int X, int Y, int Z) ChunkSize => (Array.ChunkShape[^1], Array.ChunkShape[^2], Array.ChunkShape[^3]);

    /// <summary>The level's extent in its own voxels.</summary>
    public Box3 Bounds => Box3.FromSize(Size.X, Size.Y, Size.Z);
}
