using System.Buffers;
using System.Collections.Concurrent;
using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>
/// Computes resolution levels chunk by chunk and in parallel: each coarse level is reduced from the coarsest
/// level already computed whose mag divides it (usually the previous one), in blocks of whole destination chunks,
/// so memory stays bounded and every chunk is written once, whole.
/// </summary>
public static class PyramidBuilder
{
    /// <summary>Upper bound of the source bytes one block reads.</summary>
    private const long BlockSourceBytes = 16L << 20;

    /// <summary>
    /// Computes levels <paramref name="targets"/> (indices into <paramref name="volume"/>'s levels) from the other
    /// levels, finest targets first. The volume must be writable; the levels not listed are the input.
    /// </summary>
    /// <param name="region">Only this part (mag-1 voxels) is computed, rounded out to whole chunks; null: everything.</param>
    public static void Fill(EmVolume volume, IReadOnlyCollection<int> targets, DownsampleFilter filter,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default, Box3? region = null)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var order = targets.Distinct().OrderBy(i => volume.Levels[i].Mag.Max).ThenBy(i => MagVolume(volume.Levels[i].Mag)).ToList();
        var ready = Enumerable.Range(0, volume.Levels.Count).Except(order).ToList();
        if (ready.Count == 0) throw new ArgumentException("At least one level must be given as input (not among the targets).", nameof(targets));
        var steps = new List<(int Source, int Target, Mag Factor, List<Box3> Blocks)>();
        foreach (var t in order)
        {
            var mag = volume.Levels[t].Mag;
            var source = ready.Where(r => Divides(volume.Levels[r].Mag, mag)).OrderByDescending(r => MagVolume(volume.Levels[r].Mag)).Cast<int?>().FirstOrDefault()
                ?? throw new ArgumentException($"No level of '{volume.Path}' divides mag {mag}: expected a finer level whose factors divide it.", nameof(targets));
            var sm = volume.Levels[source].Mag;
            var factor = new Mag(mag.X / sm.X, mag.Y / sm.Y, mag.Z / sm.Z);
            var blocks = PlanBlocks(volume.Levels[t], factor, volume.BlockBytes(Box3.FromSize(1, 1, 1)));
            if (region is { } r) blocks = [.. blocks.Where(b => !b.Intersect(r.ToMag(mag)).IsEmpty)];
            steps.Add((source, t, factor, blocks));
            ready.Add(t);
        }
        long total = steps.Sum(s => (long)s.Blocks.Count), done = 0;
        var activity = $"Downsampling {volume.Path}";
        progress?.Report(new ProgressInfo(activity, $"0 of {total} blocks", 0, total));
        foreach (var (source, target, factor, blocks) in steps)
        {
            Run(blocks, ct, block =>
            {
                Reduce(volume, source, default, volume, target, factor, block, filter);
                long d = Interlocked.Increment(ref done);
                progress?.Report(new ProgressInfo(activity, $"mag {volume.Levels[target].Mag}: {d} of {total} blocks", d, total));
            });
        }
    }

    /// <summary>
    /// Copies <paramref name="region"/> of level <paramref name="sourceLevel"/> of <paramref name="source"/> (in that level's
    /// voxels) to level 0 of <paramref name="destination"/>, its first voxel landing on <paramref name="at"/> (destination
    /// voxels), in blocks cut along the destination's chunks (so no chunk is written by two blocks).
    /// </summary>
    public static void Copy(EmVolume source, int sourceLevel, Box3 region, EmVolume destination, (long X, long Y, long Z) at = default,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        var target = destination.Levels[0];
        var placed = new Box3(at.X, at.Y, at.Z, region.SizeX, region.SizeY, region.SizeZ);
        var blocks = PlanBlocks(target, Mag.One, destination.BlockBytes(Box3.FromSize(1, 1, 1)))
            .Select(b => b.Intersect(placed)).Where(b => !b.IsEmpty).ToList();
        long done = 0;
        var activity = $"Copying {source.Path} to {destination.Path}";
        progress?.Report(new ProgressInfo(activity, $"0 of {blocks.Count} blocks", 0, blocks.Count));
        Run(blocks, ct, block =>
        {
            Reduce(source, sourceLevel, (region.X - at.X, region.Y - at.Y, region.Z - at.Z), destination, 0, Mag.One, block, DownsampleFilter.Nearest);
            long d = Interlocked.Increment(ref done);
            progress?.Report(new ProgressInfo(activity, $"{d} of {blocks.Count} blocks", d, blocks.Count));
        });
    }

    /// <summary>
    /// Blocks of whole chunks of <paramref name="level"/>: one chunk deep, as many chunk rows and columns as keep the
    /// source read (the block times <paramref name="factor"/>) within <see cref="BlockSourceBytes"/>; z-slab by z-slab.
    /// </summary>
    internal static List<Box3> PlanBlocks(VolumeLevel level, Mag factor, long bytesPerVoxel)
    {
        var (cx, cy, cz) = level.ChunkSize;
        var (sx, sy, sz) = level.Size;
        long chunkSource = (long)cx * cy * cz * factor.X * factor.Y * factor.Z * bytesPerVoxel;
        long perBlock = Math.Max(1, BlockSourceBytes / Math.Max(1, chunkSource));
        long nx = Box3.CeilDiv(sx, cx), ny = Box3.CeilDiv(sy, cy);
        long bx = Math.Min(nx, perBlock), by = perBlock >= nx ? Math.Clamp(perBlock / nx, 1, ny) : 1;
        var blocks = new List<Box3>();
        for (long z = 0; z < sz; z += cz)
            for (long y = 0; y < sy; y += by * cy)
                for (long x = 0; x < sx; x += bx * cx)
                    blocks.Add(Box3.FromBounds(x, y, z, Math.Min(sx, x + bx * cx), Math.Min(sy, y + by * cy), Math.Min(sz, z + cz)));
        return blocks;
    }

    /// <summary>Reads the source of one destination block, reduces it and writes it.</summary>
    private static void Reduce(EmVolume source, int sourceLevel, (long X, long Y, long Z) origin, EmVolume destination, int targetLevel,
        Mag factor, Box3 block, DownsampleFilter filter)
    {
        var srcBounds = source.Levels[sourceLevel].Bounds;
        var want = new Box3(origin.X + block.X * factor.X, origin.Y + block.Y * factor.Y, origin.Z + block.Z * factor.Z,
            block.SizeX * factor.X, block.SizeY * factor.Y, block.SizeZ * factor.Z);
        // Groups at the level's far edge are reduced over the voxels that exist; a copy keeps the block's size.
        var read = factor == Mag.One ? want : want.Intersect(srcBounds);
        var srcBuffer = ArrayPool<byte>.Shared.Rent(checked((int)source.BlockBytes(read)));
        byte[]? dstBuffer = null;
        try
        {
            source.Read(sourceLevel, read, srcBuffer);
            if (factor == Mag.One)
            {
                destination.Write(targetLevel, block, srcBuffer.AsSpan(0, (int)destination.BlockBytes(block)));
                return;
            }
            var reduced = Box3.FromSize(Downsampler.ReducedSize(read.SizeX, factor.X), Downsampler.ReducedSize(read.SizeY, factor.Y), Downsampler.ReducedSize(read.SizeZ, factor.Z));
            dstBuffer = ArrayPool<byte>.Shared.Rent(checked((int)destination.BlockBytes(reduced)));
            Downsampler.Reduce(srcBuffer, source.DataType, source.Channels, ((int)read.SizeX, (int)read.SizeY, (int)read.SizeZ), factor, filter, dstBuffer);
            destination.Write(targetLevel, reduced.Offset(block.X, block.Y, block.Z), dstBuffer.AsSpan(0, (int)destination.BlockBytes(reduced)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(srcBuffer);
            if (dstBuffer is not null) ArrayPool<byte>.Shared.Return(dstBuffer);
        }
    }

    /// <summary>Runs the blocks in parallel, in order (z-slabs first, so shards complete early), stopping at the first failure.</summary>
    private static void Run(List<Box3> blocks, CancellationToken ct, Action<Box3> body)
    {
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount };
        try
        {
            Parallel.ForEach(Partitioner.Create(blocks, EnumerablePartitionerOptions.NoBuffering), options, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static bool Divides(Mag fine, Mag coarse) => coarse.X % fine.X == 0 && coarse.Y % fine.Y == 0 && coarse.Z % fine.Z == 0;

    private static long MagVolume(Mag m) => (long)m.X * m.Y * m.Z;
}
