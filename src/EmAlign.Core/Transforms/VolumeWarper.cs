using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Transforms;

/// <summary>What <see cref="VolumeWarper.Export"/> writes, and how.</summary>
public sealed record WarpOptions
{
    /// <summary>The fixed volume whose grid (one level of it) the output takes: size, voxel size, offset.</summary>
    public required EmVolume Like { get; init; }

    /// <summary>The fixed → moving transform (physical x, y, z; a <see cref="TransformChain"/> for several), applied in one resampling.</summary>
    public required SpatialTransform Transform { get; init; }

    /// <summary>Level of <see cref="Like"/> whose grid the output takes (its mag 1 is that level's voxels).</summary>
    public int LikeLevel { get; init; }

    /// <summary>Level of the moving volume to sample; null picks the coarsest level no coarser than the output grid on any axis.</summary>
    public int? MovingLevel { get; init; }

    public Interpolation Interpolation { get; init; } = Interpolation.Linear;

    /// <summary>Value of output voxels whose source position lies outside the moving volume.</summary>
    public float Background { get; init; }

    /// <summary>Output format name ("zarr2", "n5", "tiff", ...); null infers it from the destination's extension (.zarr, .n5, .tif/.tiff).</summary>
    public string? Format { get; init; }

    /// <summary>Codec name as the CLI spells it.</summary>
    public string Codec { get; init; } = "none";

    public int? CodecLevel { get; init; }

    /// <summary>Output chunk shape, z, y, x (C order); null lets the format choose.</summary>
    public IReadOnlyList<int>? ChunkShape { get; init; }

    /// <summary>Replace an existing destination (only once the new output is complete).</summary>
    public bool Force { get; init; }

    /// <summary>Upper bound on the working memory of one output block (coordinates and values), bytes.</summary>
    public long MaxBlockBytes { get; init; } = 64L << 20;

    /// <summary>Output blocks computed at once (-1: as many as there are cores).</summary>
    public int MaxParallelism { get; init; } = -1;
}

/// <param name="Path">Absolute path of the written volume.</param>
/// <param name="Format">Its format.</param>
/// <param name="DataType">Voxel type (the moving volume's: values are rounded and clamped to it, never wrapped).</param>
/// <param name="Grid">The output grid (the fixed level's), x, y, z.</param>
/// <param name="MovingLevel">The moving level that was sampled.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record WarpResult(string Path, string Format, DataType DataType, VoxelGrid Grid, int MovingLevel, TimeSpan Elapsed);

/// <summary>
/// Renders a moving volume into a fixed volume's grid through a transform chain (fixed → moving, pull-back), chunk by
/// chunk: each output block computes its source coordinates once, reads only the moving region they touch and
/// interpolates, so memory stays bounded however large the volumes. The output is built under a temporary sibling
/// name and renamed when complete, so an interrupted run never leaves something that looks finished.
/// </summary>
public static class VolumeWarper
{
    public static WarpResult Export(EmVolume moving, string destination, WarpOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(moving);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var like = options.Like;
        var grid = VoxelGrid.Of(like, options.LikeLevel);
        int movingLevel = options.MovingLevel ?? ChooseLevel(moving, grid);
        var format = VolumeFormats.Get(options.Format ?? FormatFor(destination));
        AtomicOutput.RejectOverlap(Path.Combine(like.Path, like.Dataset), Path.GetFullPath(destination), destination);
        var transform = options.Transform.InUnit(grid.Unit) is TransformChain chain ? chain.Simplify() : options.Transform.InUnit(grid.Unit);
        if (options.ChunkShape is { } cs && (cs.Count != 3 || cs.Any(c => c < 1)))
            throw new EmAlignException($"Chunk shape [{string.Join(", ", cs)}] is not valid: expected positive z, y, x sizes.", "chunks");

        var create = new VolumeCreateOptions
        {
            DataType = moving.DataType,
            Shape = moving.HasChannelAxis ? [moving.Channels, grid.SizeZ, grid.SizeY, grid.SizeX] : [grid.SizeZ, grid.SizeY, grid.SizeX],
            ChunkShape = options.ChunkShape is null ? null : moving.HasChannelAxis ? [moving.Channels, .. options.ChunkShape] : options.ChunkShape,
            Codec = options.Codec,
            Level = options.CodecLevel,
            VoxelSize = new VoxelSize(grid.SpacingX, grid.SpacingY, grid.SpacingZ, grid.Unit),
            Offset = like.Offset,
            Cache = new ChunkCache(0), // blocks are whole chunks: nothing is read back
        };
        string target = AtomicOutput.Write(destination, options.Force, Path.Combine(moving.Path, moving.Dataset), temp =>
        {
            using (var output = format.Create(temp, create))
            {
                var chunk = output.Levels[0].ChunkSize;
                int bytesPerVoxel = 12 + 4 * moving.Channels + moving.DataType.Size() * moving.Channels;
                var blocks = VolumeCopier.PlanBlocks(grid.SizeX, grid.SizeY, grid.SizeZ, chunk, bytesPerVoxel, options.MaxBlockBytes);
                string activity = $"Warping {moving.Path} onto the grid of {like.Path}";
                long done = 0;
                progress?.Report(new ProgressInfo(activity, $"0 of {blocks.Count} blocks", 0, blocks.Count));
                var po = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism, CancellationToken = ct };
                try
                {
                    Parallel.ForEach(blocks, po, block =>
                    {
                        var values = Resampler.Resample(moving, movingLevel, transform, grid.Sub(block), options.Interpolation, options.Background,
                            maxParallelism: options.MaxParallelism);
                        var bytes = new byte[output.BlockBytes(block)];
                        VoxelConvert.FromSingle(values, moving.DataType, bytes);
                        output.Write(0, block, bytes);
                        long d = Interlocked.Increment(ref done);
                        progress?.Report(new ProgressInfo(activity, $"{d} of {blocks.Count} blocks", d, blocks.Count));
                    });
                }
                catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                }
                output.Flush();
            }
            ct.ThrowIfCancellationRequested();
            return Path.GetFullPath(destination);
        });
        return new WarpResult(target, format.Name, moving.DataType, grid, movingLevel, clock.Elapsed);
    }

    /// <summary>The coarsest level of <paramref name="moving"/> whose voxels are no larger than the output's on any axis (level 0 if none).</summary>
    public static int ChooseLevel(EmVolume moving, VoxelGrid output)
    {
        ArgumentNullException.ThrowIfNull(moving);
        int best = 0;
        for (int l = 1; l < moving.Levels.Count; l++)
        {
            var g = VoxelGrid.Of(moving, l).InUnit(output.Unit);
            const double slack = 1.0001;
            if (g.SpacingX <= output.SpacingX * slack && g.SpacingY <= output.SpacingY * slack && g.SpacingZ <= output.SpacingZ * slack
                && g.SpacingX * g.SpacingY * g.SpacingZ > VoxelVolume(VoxelGrid.Of(moving, best).InUnit(output.Unit)))
                best = l;
        }
        return best;
    }

    private static double VoxelVolume(VoxelGrid g) => g.SpacingX * g.SpacingY * g.SpacingZ;

    private static string FormatFor(string destination)
    {
        string ext = Path.GetExtension(Path.TrimEndingDirectorySeparator(destination)).ToLowerInvariant();
        return ext switch
        {
            ".zarr" => "zarr2",
            ".n5" => "n5",
            ".tif" or ".tiff" => "tiff",
            _ => throw new EmAlignException($"Cannot tell the output format from '{destination}': expected a name ending in .zarr, .n5, .tif or .tiff, or an explicit format.", "format"),
        };
    }
}
