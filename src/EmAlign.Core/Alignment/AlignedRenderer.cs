using System.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Numerics;
using EmAlign.Volumes;
using EmAlign.Warp;

namespace EmAlign.Alignment;

/// <summary>How to render an aligned volume.</summary>
public sealed record RenderOptions
{
    /// <summary>Output format name (zarr2, n5, tiff, tiff-folder, ...).</summary>
    public required string Format { get; init; }

    public string Codec { get; init; } = "none";

    public WarpInterpolation Interpolation { get; init; } = WarpInterpolation.Lanczos4;

    /// <summary>Crop the output to the aligned region instead of keeping the input's full frame.</summary>
    public bool Crop { get; init; }

    /// <summary>Output chunk shape (z, y, x); null: one section deep, the format's in-plane default.</summary>
    public IReadOnlyList<int>? ChunkShape { get; init; }

    public bool Force { get; init; }

    /// <summary>Residual (95th percentile, working-level pixels) above which a section that also stands out from its stack is flagged (see <see cref="MeshSolution.ResidualOutlierFactor"/>).</summary>
    public double MaxResidual { get; init; } = MeshSolution.DefaultMaxResidual;

    /// <summary>Fraction of flow vectors (relative to the median section) below which a section is flagged.</summary>
    public double MinValidFraction { get; init; } = MeshSolution.DefaultMinValidFraction;
}

/// <summary>Per-section alignment quality, as the report and Measure-EmAlignment give it.</summary>
/// <param name="Z">Section index within the aligned region (0 = the reference section).</param>
/// <param name="DeltaZ">How many sections back the section's reference was (1 = its predecessor; 0 for section 0).</param>
/// <param name="FlowVectors">Flow vectors (mesh nodes) that tied the section to its reference.</param>
/// <param name="ResidualMedian">Median distance between the relaxed mesh and where the flow put each node, working-level pixels.</param>
/// <param name="ResidualP95">95th percentile of that distance, working-level pixels.</param>
/// <param name="NccBefore">Normalised cross-correlation with the previous section before alignment (NaN for section 0).</param>
/// <param name="NccAfter">The same after alignment (NaN when not rendered).</param>
/// <param name="Status">"ok", "reference", "ok-skipped-previous", "few-flow-vectors" or "large-residual" (see <see cref="MeshSolution.Assess(int, double, double, double)"/>).</param>
public sealed record SectionQuality(int Z, int DeltaZ, int FlowVectors, double ResidualMedian, double ResidualP95, double NccBefore, double NccAfter, string Status);

/// <summary>What rendering produced: where, the box in output voxels, quality per section.</summary>
public sealed record RenderResult(string Path, string Format, Box3 Box, IReadOnlyList<SectionQuality> Sections, TimeSpan Elapsed)
{
    public int FailedSections => Sections.Count(s => s.Status != "ok" && s.Status != "reference");
}

/// <summary>
/// Renders every section through its inverse map at the volume's finest level, tile by tile, into a new volume
/// with the input's shape and section 0's frame (or cropped to the aligned region). Memory holds one tile of
/// output and the input box it needs; the output appears under its name only when complete.
/// </summary>
public static class AlignedRenderer
{
    private const long TileBudgetPixels = 4L << 20;

    public static RenderResult Render(EmVolume source, MeshSolution solution, string destination, RenderOptions options,
        IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var format = VolumeFormats.Get(options.Format);
        var region = solution.Region;
        if (region.Level >= source.Levels.Count || source.Levels[region.Level].Mag != region.Mag)
            throw new Diagnostics.EmAlignException(
                $"The alignment was solved on level {region.Level} (mag {region.Mag}) of '{region.SourcePath}', but '{source.Path}' has mags {string.Join(", ", source.Levels.Select(l => l.Mag))}: expected the volume it was solved on.", "Path");
        var outLevel = source.Levels[0];
        var work = source.Levels[region.Level];
        // Working-level pixels per output pixel, per axis.
        double sx = work.Mag.X / (double)outLevel.Mag.X, sy = work.Mag.Y / (double)outLevel.Mag.Y;
        var inverse = ScaleMap(solution.Inverse, region, sx, sy);
        var full = outLevel.Bounds;
        var regionOut = Box3.FromBounds((long)(region.Region.X * sx), (long)(region.Region.Y * sy), 0,
            (long)Math.Ceiling(region.Region.EndX * sx), (long)Math.Ceiling(region.Region.EndY * sy), 1).Intersect(full with { Z = 0, SizeZ = 1 });
        long zScale = work.Mag.Z / outLevel.Mag.Z;
        if (zScale != 1)
            throw new Diagnostics.EmAlignException($"The alignment was solved on level {region.Level} (mag {work.Mag}), which is downsampled in z; elastic alignment needs one section per z.", "Level");
        var outPlane = options.Crop ? regionOut : full with { Z = 0, SizeZ = 1 };
        int sections = solution.Sections;
        long z0 = region.Region.Z;

        var create = new VolumeCreateOptions
        {
            DataType = source.DataType,
            Shape = [sections, outPlane.SizeY, outPlane.SizeX],
            ChunkShape = options.ChunkShape ?? DefaultChunks(format.Name, outPlane),
            Codec = options.Codec,
            VoxelSize = source.VoxelSize with { X = source.VoxelSize.X * outLevel.Mag.X, Y = source.VoxelSize.Y * outLevel.Mag.Y, Z = source.VoxelSize.Z * outLevel.Mag.Z },
            Cache = new ChunkCache(0),
        };
        var quality = new SectionQuality[sections];
        string path = AtomicOutput.Write(destination, options.Force, Path.Combine(source.Path, source.Dataset), temp =>
        {
            using var output = format.Create(temp, create);
            var chunk = output.Levels[0].ChunkSize;
            long rows = Math.Max(chunk.Y, TileBudgetPixels / Math.Max(1, outPlane.SizeX) / chunk.Y * chunk.Y);
            int nccFactor = StackFlow.NccFactor((int)outPlane.SizeX, (int)outPlane.SizeY);
            Image2D<float>? previous = null;
            for (int z = 0; z < sections; z++)
            {
                ct.ThrowIfCancellationRequested();
                var small = new Image2D<float>((int)Box3.CeilDiv(outPlane.SizeX, nccFactor), (int)Box3.CeilDiv(outPlane.SizeY, nccFactor));
                for (long y = 0; y < outPlane.SizeY; y += rows)
                {
                    var tile = new Box3(outPlane.X, outPlane.Y + y, 0, outPlane.SizeX, Math.Min(rows, outPlane.SizeY - y), 1);
                    RenderTile(source, inverse, z, z0 + z, tile, options.Interpolation, output, y, small, nccFactor, outPlane);
                }
                double after = previous is null ? double.NaN : StackFlow.Ncc(previous, small);
                previous = small;
                quality[z] = solution.Assess(z, after, options.MaxResidual, options.MinValidFraction);
                progress?.Report(new ProgressInfo("Rendering aligned sections", $"section {z + 1} of {sections}", z + 1, sections));
            }
            output.Flush();
            return Path.GetFullPath(destination);
        });
        return new RenderResult(path, format.Name, new Box3(outPlane.X, outPlane.Y, z0, outPlane.SizeX, outPlane.SizeY, sections), quality, clock.Elapsed);
    }

    /// <summary>Moves an inverse map from working-level node units to output pixels: strides and vectors scaled, grid registered at the region start.</summary>
    internal static CoordinateMap ScaleMap(CoordinateMap map, StackRegion region, double sx, double sy)
    {
        var box = map.Box with { X = region.Region.X / region.Stride, Y = region.Region.Y / region.Stride };
        var scaled = new CoordinateMap(box, region.Stride * sx, region.Stride * sy, (float[])map.Data.Clone());
        if (sx != 1 || sy != 1)
            for (int z = 0; z < scaled.Sections; z++)
            {
                foreach (ref var v in scaled.Dx(z)) v *= (float)sx;
                foreach (ref var v in scaled.Dy(z)) v *= (float)sy;
            }
        return scaled;
    }

    private static void RenderTile(EmVolume source, CoordinateMap inverse, int section, long sourceZ, Box3 tile, WarpInterpolation interpolation,
        EmVolume output, long outRow, Image2D<float> small, int nccFactor, Box3 outPlane)
    {
        switch (source.DataType)
        {
            case DataType.UInt8: RenderTile<byte>(source, inverse, section, sourceZ, tile, interpolation, output, outRow, small, nccFactor, outPlane, v => v); break;
            case DataType.UInt16: RenderTile<ushort>(source, inverse, section, sourceZ, tile, interpolation, output, outRow, small, nccFactor, outPlane, v => v); break;
            case DataType.Float32: RenderTile<float>(source, inverse, section, sourceZ, tile, interpolation, output, outRow, small, nccFactor, outPlane, v => v); break;
            default:
                if (interpolation != WarpInterpolation.Nearest)
                    throw new Diagnostics.EmAlignException($"{interpolation} interpolation needs uint8, uint16 or float32 voxels; '{source.Path}' holds {source.DataType.Name()}. Use nearest for labels.", "Interpolation");
                RenderGeneric(source, inverse, section, sourceZ, tile, output, outRow, outPlane);
                break;
        }
    }

    private static void RenderTile<T>(EmVolume source, CoordinateMap inverse, int section, long sourceZ, Box3 tile, WarpInterpolation interpolation,
        EmVolume output, long outRow, Image2D<float> small, int nccFactor, Box3 outPlane, Func<T, float> toFloat) where T : unmanaged
    {
        var pixels = WarpFrom<T>(source, inverse, section, sourceZ, tile, interpolation);
        output.Write<T>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), pixels);
        // Block-mean into the small image used for the after-alignment NCC (same scale as before-NCC).
        var sm = small.Data;
        int w = (int)tile.SizeX;
        for (int y = 0; y < tile.SizeY; y++)
        {
            int sy = (int)((outRow + y) / nccFactor);
            if (sy >= small.Height) continue;
            for (int x = 0; x < w; x++) sm[sy * small.Width + x / nccFactor] += toFloat(pixels[y * w + x]) / (nccFactor * nccFactor);
        }
    }

    private static void RenderGeneric(EmVolume source, CoordinateMap inverse, int section, long sourceZ, Box3 tile, EmVolume output, long outRow, Box3 outPlane)
    {
        switch (source.DataType)
        {
            case DataType.Int8: output.Write<sbyte>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<sbyte>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            case DataType.Int16: output.Write<short>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<short>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            case DataType.UInt32: output.Write<uint>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<uint>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            case DataType.Int32: output.Write<int>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<int>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            case DataType.UInt64: output.Write<ulong>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<ulong>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            case DataType.Int64: output.Write<long>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<long>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
            default: output.Write<double>(0, new Box3(0, outRow, section, tile.SizeX, tile.SizeY, 1), WarpFrom<double>(source, inverse, section, sourceZ, tile, WarpInterpolation.Nearest)); break;
        }
    }

    /// <summary>Reads just the input box the tile needs and warps it.</summary>
    private static T[] WarpFrom<T>(EmVolume source, CoordinateMap inverse, int section, long sourceZ, Box3 tile, WarpInterpolation interpolation) where T : unmanaged
    {
        var need = SectionWarper.RequiredSourceBox(inverse, section, tile, interpolation)
            .Intersect(source.Levels[0].Bounds with { Z = 0, SizeZ = 1 });
        if (need.IsEmpty) return new T[tile.SizeX * tile.SizeY];
        var pixels = source.Read<T>(0, need with { Z = sourceZ, SizeZ = 1 });
        return SectionWarper.WarpTile(new SectionImage<T>(pixels, need with { Z = 0, SizeZ = 1 }), inverse, section, tile, interpolation);
    }

    private static IReadOnlyList<int>? DefaultChunks(string format, Box3 plane) =>
        format.StartsWith("tiff", StringComparison.Ordinal) ? null : [1, (int)Math.Min(512, plane.SizeY), (int)Math.Min(512, plane.SizeX)];
}
