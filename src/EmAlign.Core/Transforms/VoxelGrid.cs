using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Transforms;

/// <summary>
/// A regular grid of voxel centres in physical space, x, y, z order: voxel (i, j, k) sits at
/// (OriginX + i SpacingX, OriginY + j SpacingY, OriginZ + k SpacingZ), in <see cref="Unit"/>.
/// The physical frame of a volume puts the centre of mag-1 voxel (0,0,0) at 0 (bigstream's "origin at voxel 0");
/// a level of mag m then has spacing m times the mag-1 voxel size and its voxel 0 centre at (m - 1)/2 mag-1 voxels,
/// so transforms found on one level apply unchanged on any other.
/// </summary>
public sealed record VoxelGrid(long SizeX, long SizeY, long SizeZ, double SpacingX, double SpacingY, double SpacingZ,
    double OriginX, double OriginY, double OriginZ, string Unit)
{
    public long VoxelCount => SizeX * SizeY * SizeZ;

    /// <summary>The smallest of the three spacings.</summary>
    public double MinSpacing => Math.Min(SpacingX, Math.Min(SpacingY, SpacingZ));

    /// <summary>True for a single plane (a 2D image).</summary>
    public bool IsPlanar => SizeZ == 1;

    /// <summary>The grid of level <paramref name="level"/> of <paramref name="volume"/> (whole level).</summary>
    public static VoxelGrid Of(EmVolume volume, int level = 0)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if ((uint)level >= (uint)volume.Levels.Count)
            throw new EmAlignException($"Level {level} does not exist in '{volume.Path}': expected 0..{volume.Levels.Count - 1}.", "level");
        var l = volume.Levels[level];
        var vs = volume.VoxelSize;
        var (sx, sy, sz) = l.Size;
        return new VoxelGrid(sx, sy, sz, vs.X * l.Mag.X, vs.Y * l.Mag.Y, vs.Z * l.Mag.Z,
            vs.X * (l.Mag.X - 1) / 2.0, vs.Y * (l.Mag.Y - 1) / 2.0, vs.Z * (l.Mag.Z - 1) / 2.0, vs.Unit);
    }

    /// <summary>The grid of a view's region at its working level.</summary>
    public static VoxelGrid Of(VolumeView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return Of(view.Volume, view.Level).Sub(view.LevelRegion);
    }

    /// <summary>The grid of <paramref name="box"/> (in this grid's voxels): same spacing, origin at the box's first voxel.</summary>
    public VoxelGrid Sub(Box3 box) => this with
    {
        SizeX = box.SizeX, SizeY = box.SizeY, SizeZ = box.SizeZ,
        OriginX = OriginX + box.X * SpacingX, OriginY = OriginY + box.Y * SpacingY, OriginZ = OriginZ + box.Z * SpacingZ,
    };

    /// <summary>This grid with origin and spacing expressed in <paramref name="unit"/>.</summary>
    public VoxelGrid InUnit(string unit)
    {
        double f = Units.Scale(Unit, unit);
        return f == 1 && Unit == unit ? this : new VoxelGrid(SizeX, SizeY, SizeZ, SpacingX * f, SpacingY * f, SpacingZ * f, OriginX * f, OriginY * f, OriginZ * f, unit);
    }

    /// <summary>Physical position of (fractional) voxel index (i, j, k).</summary>
    public (double X, double Y, double Z) ToPhysical(double i, double j, double k) =>
        (OriginX + i * SpacingX, OriginY + j * SpacingY, OriginZ + k * SpacingZ);

    /// <summary>Fractional voxel index of a physical position.</summary>
    public (double I, double J, double K) ToVoxel(double x, double y, double z) =>
        ((x - OriginX) / SpacingX, (y - OriginY) / SpacingY, (z - OriginZ) / SpacingZ);

    public override string ToString() =>
        $"{SizeX}x{SizeY}x{SizeZ} voxels of {SpacingX:g6} x {SpacingY:g6} x {SpacingZ:g6} {Unit} from ({OriginX:g6}, {OriginY:g6}, {OriginZ:g6})";
}

/// <summary>Conversions between the physical units volumes carry.</summary>
public static class Units
{
    /// <summary>
    /// The factor that turns a length in <paramref name="from"/> into <paramref name="to"/>. Units that are not lengths
    /// (e.g. "pixel") convert only to themselves; anything else throws naming both.
    /// </summary>
    public static double Scale(string from, string to)
    {
        if (string.Equals(from.Trim(), to.Trim(), StringComparison.OrdinalIgnoreCase)) return 1;
        var a = VoxelSize.NanometersPer(from);
        var b = VoxelSize.NanometersPer(to);
        if (a is null || b is null)
            throw new EmAlignException($"Cannot convert '{from}' to '{to}': expected both to be lengths (nm, um, mm, ...) or the same unit.", "unit");
        return a.Value / b.Value;
    }

    /// <summary>A length given in micrometres, expressed in <paramref name="unit"/>; units that are not lengths take the value as is.</summary>
    public static double FromMicrometers(double micrometers, string unit) =>
        VoxelSize.NanometersPer(unit) is { } nm ? micrometers * 1000 / nm : micrometers;
}
