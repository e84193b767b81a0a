using System.Buffers;
using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>What <see cref="VolumeCopier.Copy"/> writes.</summary>
public sealed record CopyOptions
{
    /// <summary>Destination format name as registered in <see cref="VolumeFormats"/> ("zarr2", "n5", "tiff", "tiff-folder", ...).</summary>
    public required string Format { get; init; }

    /// <summary>Codec name as the CLI spells it (see <see cref="Codecs.ChunkCodecs.Names"/>).</summary>
    public string Codec { get; init; } = "none";

    /// <summary>Compression level where the codec has one; null for its default.</summary>
    public int? CodecLevel { get; init; }

    /// <summary>
    /// Destination chunk shape in C order: (z, y, x), or (c, z, y, x) for volumes with channels (a 3-value shape
    /// then keeps all channels in each chunk). Null lets the format choose.
    /// </summary>
    public IReadOnlyList<int>? ChunkShape { get; init; }

    /// <summary>
    /// Destination shard shape in C order, like <see cref="ChunkShape"/> (Zarr v3 sharding, WKW file size); null: the
    /// format's default (no sharding for zarr3).
    /// </summary>
    public IReadOnlyList<int>? ShardShape { get; init; }

    /// <summary>
    /// Coarser levels to compute into the output (mags relative to the copied level), for formats that hold pyramids;
    /// they are downsampled from the copy before the output is renamed into place.
    /// </summary>
    public IReadOnlyList<Mag> ExtraMags { get; init; } = [];

    /// <summary>Filter for <see cref="ExtraMags"/>.</summary>
    public DownsampleFilter Filter { get; init; } = DownsampleFilter.Mean;

    /// <summary>Region to copy in mag-1 voxels; null copies the whole volume. It is clipped to the volume.</summary>
    public Box3? Box { get; init; }

    /// <summary>Index of the source level to copy; the output's mag 1 is that level's voxels.</summary>
    public int Level { get; init; }

    /// <summary>Replace an existing destination (only once the new output is complete).</summary>
    public bool Force { get; init; }

    /// <summary>
    /// Upper bound on one block's uncompressed bytes (blocks are whole destination chunks, so one chunk layer is
    /// the minimum). At most two blocks are in memory at once: one being read, one being written.
    /// </summary>
    public long MaxBlockBytes { get; init; } = 16L << 20;
}

/// <param name="Path">Absolute path of the written volume.</param>
/// <param name="Format">Format it was written in.</param>
/// <param name="DataType">Voxel type (the source's).</param>
/// <param name="Box">The region copied, in the source's mag-1 voxels (x, y, z).</param>
/// <param name="Bytes">Uncompressed voxel bytes copied (all channels).</param>
/// <param name="Elapsed">Wall time of the copy.</param>
public sealed record CopyResult(string Path, string Format, DataType DataType, Box3 Box, long Bytes, TimeSpan Elapsed);

/// <summary>
/// Copies (a region of one level of) a volume into a new volume of any registered format, block by block.
/// The output is built under a sibling temporary name ("name.partial-XXXXXXXX.ext") and renamed onto the
/// destination only when complete, so an interrupted copy never leaves something that looks finished.
/// </summary>
public static class VolumeCopier
{
    public static CopyResult Copy(EmVolume source, string destination, CopyOptions options,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();

        var format = VolumeFormats.Get(options.Format);
        var view = new VolumeView(source, options.Level, options.Box);
        var levelBox = view.LevelRegion;
        var level = source.Levels[options.Level];
        if (levelBox.IsEmpty)
            throw new EmAlignException($"The region {view.Region} (mag-1 voxels) holds no voxels of level {options.Level} (mag {level.Mag}) of '{view.Path}'.", "box");
        var mag = level.Mag;
        var vs = source.VoxelSize;
        var create = new VolumeCreateOptions
        {
            DataType = source.DataType,
            Shape = source.HasChannelAxis
                ? [source.Channels, levelBox.SizeZ, levelBox.SizeY, levelBox.SizeX]
                : [levelBox.SizeZ, levelBox.SizeY, levelBox.SizeX],
            ChunkShape = ChunkShapeFor(options.ChunkShape, source),
            ShardShape = options.ShardShape is null ? null : ChunkShapeFor(options.ShardShape, source),
            ExtraMags = options.ExtraMags,
            Codec = options.Codec,
            Level = options.CodecLevel,
            // The output's voxel (0,0,0) is the region's first voxel at this level.
            VoxelSize = vs with { X = vs.X * mag.X, Y = vs.Y * mag.Y, Z = vs.Z * mag.Z },
            Offset = (source.Offset.X + levelBox.X * mag.X * vs.X, source.Offset.Y + levelBox.Y * mag.Y * vs.Y, source.Offset.Z + levelBox.Z * mag.Z * vs.Z),
            FillValue = level.Array.FillValue,
            // Blocks cover whole destination chunks, so nothing is ever read back: no cache needed.
            Cache = new ChunkCache(0),
        };

        string target = AtomicOutput.Write(destination, options.Force, view.Path, temp =>
        {
            using (var output = format.Create(temp, create))
            {
                var chunk = output.Levels[0].ChunkSize;
                var blocks = PlanBlocks(levelBox.SizeX, levelBox.SizeY, levelBox.SizeZ, chunk, source.BlockBytes(Box3.FromSize(1, 1, 1)), options.MaxBlockBytes);
                CopyBlocks(source, options.Level, levelBox, output, blocks, $"Copying {view.Path} to {destination}", progress, ct);
                if (output.Levels.Count > 1) PyramidBuilder.Fill(output, [.. Enumerable.Range(1, output.Levels.Count - 1)], options.Filter, progress, ct);
                output.Flush();
            }
            ct.ThrowIfCancellationRequested();
            return Path.GetFullPath(destination);
        });
        return new CopyResult(target, format.Name, source.DataType, levelBox.FromMag(mag), source.BlockBytes(levelBox), clock.Elapsed);
    }

    /// <summary>
    /// Splits a level region of the given size (0-based) into blocks made of whole destination chunks, in z, y, x order:
    /// one chunk layer deep, as many full chunk rows as fit in <paramref name="maxBlockBytes"/>, or part of a row.
    /// </summary>
    internal static List<Box3> PlanBlocks(long sizeX, long sizeY, long sizeZ, (int X, int Y, int Z) chunk, long bytesPerVoxel, long maxBlockBytes)
    {
        long nx = Box3.CeilDiv(sizeX, chunk.X), ny = Box3.CeilDiv(sizeY, chunk.Y);
        long chunkBytes = (long)chunk.X * chunk.Y * chunk.Z * bytesPerVoxel;
        long perBlock = Math.Max(1, maxBlockBytes / chunkBytes);
        long bx = Math.Min(nx, perBlock), by = perBlock >= nx ? Math.Clamp(perBlock / nx, 1, ny) : 1;
        var blocks = new List<Box3>();
        for (long z = 0; z < sizeZ; z += chunk.Z)
            for (long y = 0; y < sizeY; y += by * chunk.Y)
                for (long x = 0; x < sizeX; x += bx * chunk.X)
                    blocks.Add(Box3.FromBounds(x, y, z, Math.Min(sizeX, x + bx * chunk.X), Math.Min(sizeY, y + by * chunk.Y), Math.Min(sizeZ, z + chunk.Z)));
        return blocks;
    }

    /// <summary>Reads block i+1 from the source while block i is written, so at most two blocks are held.</summary>
    private static void CopyBlocks(EmVolume source, int level, Box3 levelBox, EmVolume output, List<Box3> blocks,
        string activity, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        byte[] Read(Box3 block)
        {
            ct.ThrowIfCancellationRequested();
            var buffer = ArrayPool<byte>.Shared.Rent(checked((int)source.BlockBytes(block)));
            try { source.Read(level, block.Offset(levelBox.X, levelBox.Y, levelBox.Z), buffer); }
            catch { ArrayPool<byte>.Shared.Return(buffer); throw; }
            return buffer;
        }

        progress?.Report(new ProgressInfo(activity, $"0 of {blocks.Count} blocks", 0, blocks.Count));
        byte[]? current = Read(blocks[0]);
        Task<byte[]>? next = null;
        try
        {
            for (int i = 0; i < blocks.Count; i++)
            {
                var following = i + 1 < blocks.Count ? blocks[i + 1] : default;
                next = i + 1 < blocks.Count ? Task.Run(() => Read(following), ct) : null;
                ct.ThrowIfCancellationRequested();
                byte[] data = current!; // read before the loop, then at the end of each iteration
                current = null;
                output.Write(0, blocks[i], data.AsSpan(0, (int)output.BlockBytes(blocks[i])));
                ArrayPool<byte>.Shared.Return(data);
                if (next is not null) { current = next.GetAwaiter().GetResult(); next = null; }
                progress?.Report(new ProgressInfo(activity, $"{i + 1} of {blocks.Count} blocks", i + 1, blocks.Count));
            }
        }
        finally
        {
            if (current is not null) ArrayPool<byte>.Shared.Return(current);
            // A read still in flight after a failure: wait for it so its buffer returns to the pool.
            if (next is not null)
            {
                try { ArrayPool<byte>.Shared.Return(next.GetAwaiter().GetResult()); }
                catch (Exception) { /* the first failure is the one reported */ }
            }
        }
    }

    private static IReadOnlyList<int>? ChunkShapeFor(IReadOnlyList<int>? chunks, EmVolume source)
    {
        if (chunks is null) return null;
        if (chunks.Count is not (3 or 4) || chunks.Any(c => c < 1) || (chunks.Count == 4 && !source.HasChannelAxis))
            throw new EmAlignException(
                $"Chunk shape [{string.Join(", ", chunks)}] is not valid for '{source.Path}': expected positive z, y, x sizes{(source.HasChannelAxis ? " (or c, z, y, x)" : "")}.", "chunks");
        return chunks.Count == 3 && source.HasChannelAxis ? [source.Channels, .. chunks] : chunks;
    }
}
