using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.FrontEnds;

/// <summary>
/// What the cmdlets decide, apart from PowerShell itself: turning parameter values (sizes written x, y, z as
/// users write them) into engine options, and checks that must happen before -WhatIf answers. Errors name the
/// PowerShell parameter. Kept free of PowerShell types so tests exercise it.
/// </summary>
internal static class VolumeCommands
{
    /// <summary>Get-EmVolume: opens <paramref name="path"/> (an absolute file-system path) at the chosen level.</summary>
    public static VolumeView Open(string path, int? level, string? mag, string? layer)
    {
        Mag? m = null;
        if (mag is not null)
            m = Mag.TryParse(mag, out var parsed) ? parsed
                : throw new EmAlignException($"-Mag '{mag}' is not a mag: expected a factor such as 2 or x-y-z factors such as 2-2-1.", "Mag");
        var volume = VolumeFormats.Open(path, new VolumeOpenOptions { Layer = layer });
        try { return VolumeView.Select(volume, level, m); }
        catch { volume.Dispose(); throw; }
    }

    /// <summary>New-EmVolume: the engine's create options from the cmdlet's x, y, z parameters.</summary>
    public static VolumeCreateOptions CreateOptions(DataType dataType, long[] sizeXyz, int[]? chunkSizeXyz, string codec, int? codecLevel,
        double[]? voxelSizeXyz, string unit, bool force)
    {
        if (sizeXyz.Length != 3 || sizeXyz.Any(s => s < 1))
            throw new EmAlignException($"-Size {string.Join(",", sizeXyz)} is not a volume size: expected three positive voxel counts x, y, z.", "Size");
        return new VolumeCreateOptions
        {
            DataType = dataType,
            Shape = [sizeXyz[2], sizeXyz[1], sizeXyz[0]],
            ChunkShape = ChunkShape(chunkSizeXyz),
            Codec = codec,
            Level = codecLevel,
            VoxelSize = VoxelSizeOf(voxelSizeXyz, unit),
            Force = force,
        };
    }

    /// <summary>Export-EmVolume: copies the view's level and region (its Box, e.g. from Find-DataBoundingBox).</summary>
    public static CopyOptions CopyOptions(VolumeView view, string format, string codec, int? codecLevel, int[]? chunkSizeXyz, bool force) => new()
    {
        Format = format,
        Codec = codec,
        CodecLevel = codecLevel,
        ChunkShape = ChunkShape(chunkSizeXyz),
        Box = view.Box,
        Level = view.Level,
        Force = force,
    };

    /// <summary>Find-DataBoundingBox: options, with -Level checked against the volume.</summary>
    public static BoundingBoxOptions BoundingBoxOptions(VolumeView view, int? level, double sigma, int dilationIterations) => new()
    {
        Level = level is { } l ? view.WithLevel(l).Level : null,
        Sigma = sigma,
        DilationIterations = dilationIterations,
    };

    /// <summary>Find-DataBoundingBox's output: the input view limited to the found box.</summary>
    public static VolumeView WithDataBox(VolumeView view, DataBoundingBoxResult result) => view.WithBox(NoDataFoundException.Require(result, view.Path));

    /// <summary>Refuses an existing output without -Force before ShouldProcess, so -WhatIf reports it too.</summary>
    public static void CheckWritable(string path, bool force)
    {
        if (!force && (File.Exists(path) || Directory.Exists(path))) throw new OutputExistsException(path);
    }

    /// <summary>"uint8, 1024 x 1024 x 20 voxels" for ShouldProcess messages.</summary>
    public static string Describe(VolumeCreateOptions o) => $"{o.DataType.Name()}, {o.Shape[^1]} x {o.Shape[^2]} x {o.Shape[^3]} voxels";

    private static int[]? ChunkShape(int[]? xyz)
    {
        if (xyz is null) return null;
        if (xyz.Length != 3 || xyz.Any(c => c < 1))
            throw new EmAlignException($"-ChunkSize {string.Join(",", xyz)} is not a chunk size: expected three positive voxel counts x, y, z.", "ChunkSize");
        return [xyz[2], xyz[1], xyz[0]];
    }

    private static VoxelSize VoxelSizeOf(double[]? xyz, string unit)
    {
        if (xyz is null) return VoxelSize.Unknown;
        if (xyz.Length is not (1 or 3) || xyz.Any(v => !(v > 0) || double.IsInfinity(v)))
            throw new EmAlignException($"-VoxelSize {string.Join(",", xyz)} is not a voxel size: expected one (isotropic) or three (x, y, z) positive numbers.", "VoxelSize");
        return xyz.Length == 1 ? new VoxelSize(xyz[0], xyz[0], xyz[0], unit) : new VoxelSize(xyz[0], xyz[1], xyz[2], unit);
    }
}
