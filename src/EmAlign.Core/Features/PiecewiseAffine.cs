using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Features;

/// <summary>How the volume is cut into blocks for piecewise affines (bigstream part B).</summary>
public sealed record PiecewiseOptions
{
    /// <summary>Block core size in voxels of the working level, x, y, z.</summary>
    public (int X, int Y, int Z) BlockSize { get; init; } = (128, 128, 128);

    /// <summary>Blend half-width as a fraction of the block size (bigstream's default 0.5: every voxel lies in two blocks per axis).</summary>
    public double Overlap { get; init; } = 0.5;

    /// <summary>Settings of each block's feature affine (its sanity checks decide which blocks count as missing).</summary>
    public FeatureAlignOptions Features { get; init; } = new();

    /// <summary>Threads in all (-1: every core). Blocks run in parallel, one thread each, as far as memory allows.</summary>
    public int MaxParallelism { get; init; } = -1;
}

/// <param name="X">Block index along x; likewise <paramref name="Y"/>, <paramref name="Z"/>.</param>
/// <param name="Extent">The block with its overlap, in voxels of the working level relative to the view's region.</param>
/// <param name="Result">The block's feature affine (volume frame, on top of the initial transform), or null when it failed.</param>
/// <param name="Failure">Why the block has no estimate (it is then filled from its neighbours).</param>
public sealed record BlockResult(int X, int Y, int Z, Box3 Extent, FeatureAffineResult? Result, string? Failure)
{
    public AffineTransform3D? Transform => Result?.Transform;
}

/// <param name="Transform">Blended local affines, fixed → (initially transformed) moving: apply [initial, Transform].</param>
/// <param name="Blocks">Per block (z, y, x order), what happened.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record PiecewiseResult(LocalAffineTransform Transform, IReadOnlyList<BlockResult> Blocks, TimeSpan Elapsed);

/// <summary>
/// Piecewise feature affines: the fixed working grid is cut into blocks of <see cref="PiecewiseOptions.BlockSize"/> with
/// round(overlap·size) voxels of context on each side; per block the fixed data is read, the moving volume is resampled
/// onto the same block grid through the initial transform (only the region it needs is read), and a feature affine is
/// fitted. Failed blocks are filled from their neighbours, and the block affines are blended with linear ramps into one
/// <see cref="LocalAffineTransform"/> (convert it with <see cref="LocalAffineTransform.ToDisplacementField"/>).
/// Blocks run in parallel.
/// </summary>
public static class PiecewiseAffine
{
    public static PiecewiseResult Align(VolumeView fixedView, VolumeView movingView, PiecewiseOptions options, SpatialTransform? initial = null,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fixedView);
        ArgumentNullException.ThrowIfNull(movingView);
        ArgumentNullException.ThrowIfNull(options);
        options.Features.Validate();
        var clock = Stopwatch.StartNew();
        var grid = VoxelGrid.Of(fixedView);
        var (bs, ov) = (options.BlockSize, Overlaps(options));
        var through = initial?.InUnit(grid.Unit) ?? AffineTransform3D.Identity(grid.Unit);
        int nx = CeilDiv(grid.SizeX, bs.X), ny = CeilDiv(grid.SizeY, bs.Y), nz = CeilDiv(grid.SizeZ, bs.Z);
        var region = fixedView.LevelRegion;
        var extents = new Box3[nx * ny * nz];
        for (int bz = 0, b = 0; bz < nz; bz++)
            for (int by = 0; by < ny; by++)
                for (int bx = 0; bx < nx; bx++, b++)
                    extents[b] = Box3.FromBounds((long)bx * bs.X - ov.X, (long)by * bs.Y - ov.Y, (long)bz * bs.Z - ov.Z,
                        (bx + 1L) * bs.X + ov.X, (by + 1L) * bs.Y + ov.Y, (bz + 1L) * bs.Z + ov.Z).Intersect(Box3.FromSize(grid.SizeX, grid.SizeY, grid.SizeZ));

        int threads = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount;
        // About eight float copies of a block extent live while it is aligned (images, scale space, neighbourhoods).
        long perBlock = Math.Max(1, extents.Max(e => e.VoxelCount) * 4 * 8);
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
        int concurrent = (int)Math.Clamp(memory / perBlock, 1, Math.Min(threads, extents.Length));
        int inner = concurrent > 1 ? 1 : threads;

        var results = new BlockResult[extents.Length];
        long done = 0;
        const string activity = "Piecewise affines";
        progress?.Report(new ProgressInfo(activity, $"0 of {extents.Length} blocks", 0, extents.Length));
        try
        {
            Parallel.For(0, extents.Length, new ParallelOptions { MaxDegreeOfParallelism = concurrent, CancellationToken = ct }, b =>
            {
                int bx = b % nx, by = b / nx % ny, bz = b / (nx * ny);
                var extent = extents[b];
                var blockGrid = grid.Sub(extent);
                var fixedBlock = fixedView.Volume.ReadSingle(fixedView.Level, extent.Offset(region.X, region.Y, region.Z));
                var movingBlock = Resampler.Resample(movingView.Volume, movingView.Level, through, blockGrid, maxParallelism: inner);
                long voxels = blockGrid.VoxelCount;
                try
                {
                    var r = FeatureAffine.AlignImages(fixedBlock[..(int)voxels], blockGrid, movingBlock[..(int)voxels], blockGrid, options.Features, inner, null, ct);
                    results[b] = new BlockResult(bx, by, bz, extent, r, null);
                }
                catch (FeatureAlignmentException e)
                {
                    results[b] = new BlockResult(bx, by, bz, extent, null, e.Message);
                }
                long d = Interlocked.Increment(ref done);
                progress?.Report(new ProgressInfo(activity, $"{d} of {extents.Length} blocks", d, extents.Length));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        if (results.All(r => r.Result is null))
            throw new FeatureAlignmentException(
                $"None of the {results.Length} blocks could be aligned (first reason: {results[0].Failure}): use larger blocks, lower the spot and match minimums, or check the initial transform.", "BlockSize");
        var local = new LocalAffineTransform(grid, bs, ov, [.. results.Select(r => r.Transform)]);
        return new PiecewiseResult(local, results, clock.Elapsed);
    }

    /// <summary>Blend half-widths in voxels: round(overlap · block size), at least 1 and at most half a block.</summary>
    public static (int X, int Y, int Z) Overlaps(PiecewiseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bs = options.BlockSize;
        if (bs.X < 1 || bs.Y < 1 || bs.Z < 1)
            throw new EmAlignException($"Block size {bs.X}x{bs.Y}x{bs.Z} voxels: expected positive sizes.", "BlockSize");
        if (!(options.Overlap > 0 && options.Overlap <= 0.5))
            throw new EmAlignException($"Overlap {options.Overlap:g3}: expected a fraction of the block size above 0 and at most 0.5.", "Overlap");
        static int O(int b, double f) => Math.Clamp((int)Math.Round(f * b, MidpointRounding.AwayFromZero), 1, Math.Max(1, b / 2));
        return (O(bs.X, options.Overlap), O(bs.Y, options.Overlap), O(bs.Z, options.Overlap));
    }

    private static int CeilDiv(long a, int b) => (int)((a + b - 1) / b);
}
