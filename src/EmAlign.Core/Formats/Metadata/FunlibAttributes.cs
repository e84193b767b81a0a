using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.Metadata;

/// <summary>
/// funlib.persistence array attributes (voxel_size, offset, axis_names, units, types), as prepare_ds writes
/// them on the array itself, plus the legacy daisy/gunpowder "resolution". Lists are in stored axis order
/// (z, y, x for Zarr); voxel_size/offset/units cover the physical axes only, or all axes.
/// Offsets are in world units (not voxels). Units default to nanometres, the funkelab tools' convention.
/// </summary>
public static class FunlibAttributes
{
    /// <summary>Unit assumed where funlib attributes give a voxel size but no unit.</summary>
    public const string DefaultUnit = "nanometer";

    /// <summary>
    /// Reads the attributes of an array of <paramref name="rank"/> dimensions; null when none of them is present.
    /// <paramref name="legacyXyz"/>: without "voxel_size", "resolution" and "offset" are stored x first (the N5 convention).
    /// </summary>
    public static SpatialInfo? Read(JsonObject? attrs, int rank, bool legacyXyz, string file)
    {
        if (attrs is null) return null;
        var names = JsonAttributes.Strings(attrs["axis_names"], "axis_names", file);
        var types = JsonAttributes.Strings(attrs["types"], "types", file);
        var voxel = JsonAttributes.Doubles(attrs["voxel_size"], "voxel_size", file);
        bool legacy = voxel is null && JsonAttributes.Has(attrs, "resolution");
        if (legacy) voxel = JsonAttributes.Doubles(attrs["resolution"], "resolution", file);
        var offset = JsonAttributes.Doubles(attrs["offset"], "offset", file);
        var units = JsonAttributes.Strings(attrs["units"], "units", file);
        if (names is null && types is null && voxel is null && offset is null && units is null) return null;
        // Without the current "voxel_size", N5 lists ("resolution", "offset") follow the legacy x-first order.
        if (legacyXyz && !JsonAttributes.Has(attrs, "voxel_size"))
        {
            if (voxel is not null) Array.Reverse(voxel);
            if (offset is not null) Array.Reverse(offset);
        }
        CheckLength(names, rank, "axis_names", file);
        CheckLength(types, rank, "types", file);

        // Which axes are physical: from types, else from the '^' suffix of names, else the trailing ones.
        var physical = new bool[rank];
        if (types is not null)
        {
            for (int i = 0; i < rank; i++)
            {
                if (types[i] == "time")
                    throw new InvalidVolumeException($"'{file}': axis {i} is a time axis; EmAlign reads (c,) z, y, x volumes.", file);
                physical[i] = types[i] == "space";
            }
        }
        else if (names is not null)
        {
            for (int i = 0; i < rank; i++) physical[i] = !names[i].EndsWith('^');
        }
        else
        {
            int nPhys = new[] { voxel?.Length, offset?.Length, units?.Length }.Max() ?? Math.Min(rank, 3);
            if (nPhys > rank) nPhys = rank;
            for (int i = rank - nPhys; i < rank; i++) physical[i] = true;
        }
        int nPhysical = physical.Count(p => p);
        var roles = Roles(names, physical, file);
        var physicalRoles = roles.Where((_, i) => physical[i]).ToArray();

        voxel = PerPhysical(voxel, physical, nPhysical, "voxel_size", file);
        offset = PerPhysical(offset, physical, nPhysical, "offset", file);
        var unitList = units is null ? null : PerPhysical(units, physical, nPhysical, "units", file);

        var v = SpatialInfo.ToXyz(physicalRoles, voxel ?? Enumerable.Repeat(1.0, nPhysical).ToArray(), 1);
        var o = SpatialInfo.ToXyz(physicalRoles, offset ?? new double[nPhysical], 0);
        var (unit, scale) = CommonUnit(physicalRoles, unitList, voxel is null || voxel.All(x => x == 1), file);
        return new SpatialInfo(roles,
            new VoxelSize(v.X * scale.X, v.Y * scale.Y, v.Z * scale.Z, unit),
            (o.X * scale.X, o.Y * scale.Y, o.Z * scale.Z));
    }

    /// <summary>
    /// Writes voxel_size, offset (world units), axis_names, units and types for an array whose axes are
    /// <paramref name="roles"/> (stored order), into <paramref name="attrs"/>.
    /// </summary>
    public static void Write(JsonObject attrs, IReadOnlyList<AxisRole> roles, VoxelSize voxelSize, (double X, double Y, double Z) offset)
    {
        var phys = roles.Where(r => r != AxisRole.Channel).ToArray();
        double Pick(AxisRole r, (double X, double Y, double Z) v) => r switch { AxisRole.X => v.X, AxisRole.Y => v.Y, _ => v.Z };
        string unit = voxelSize.Unit == VoxelSize.Unknown.Unit ? "" : Units.Canonical(voxelSize.Unit);
        attrs["voxel_size"] = JsonAttributes.Numbers(phys.Select(r => Pick(r, (voxelSize.X, voxelSize.Y, voxelSize.Z))));
        attrs["offset"] = JsonAttributes.Numbers(phys.Select(r => Pick(r, offset)));
        attrs["axis_names"] = JsonAttributes.Texts(roles.Select(r => r switch { AxisRole.Channel => "c^", AxisRole.Z => "z", AxisRole.Y => "y", _ => "x" }));
        attrs["units"] = JsonAttributes.Texts(phys.Select(_ => unit));
        attrs["types"] = JsonAttributes.Texts(roles.Select(r => r == AxisRole.Channel ? "channel" : "space"));
    }

    private static void CheckLength<T>(T[]? list, int rank, string key, string file)
    {
        if (list is not null && list.Length != rank)
            throw new InvalidVolumeException($"'{file}': {key} has {list.Length} entries; the array has {rank} dimensions.", file);
    }

    /// <summary>Physical axes are z, y, x by name when every name is one of those, else the trailing [z,] y, x in order.</summary>
    private static AxisRole[] Roles(string[]? names, bool[] physical, string file)
    {
        int rank = physical.Length, nPhys = physical.Count(p => p);
        if (nPhys is < 2 or > 3 || rank - nPhys > 1)
            throw new InvalidVolumeException(
                $"'{file}' describes {nPhys} physical and {rank - nPhys} channel axes; EmAlign reads 2 or 3 physical axes (z, y, x) and at most one channel axis.", file);
        var roles = new AxisRole[rank];
        var byName = names?.Select(n => n.TrimEnd('^').Trim().ToLowerInvariant()).ToArray();
        bool named = byName is not null && Enumerable.Range(0, rank).Where(i => physical[i]).All(i => byName[i] is "x" or "y" or "z");
        AxisRole[] positional = nPhys == 3 ? [AxisRole.Z, AxisRole.Y, AxisRole.X] : [AxisRole.Y, AxisRole.X];
        for (int i = 0, p = 0; i < rank; i++)
        {
            if (!physical[i]) roles[i] = AxisRole.Channel;
            else if (named) roles[i] = byName![i] switch { "x" => AxisRole.X, "y" => AxisRole.Y, _ => AxisRole.Z };
            else roles[i] = positional[p++];
        }
        AxisRoles.Validate(roles, file);
        return roles;
    }

    private static T[]? PerPhysical<T>(T[]? values, bool[] physical, int nPhysical, string key, string file)
    {
        if (values is null || values.Length == nPhysical) return values;
        if (values.Length == physical.Length) return values.Where((_, i) => physical[i]).ToArray();
        throw new InvalidVolumeException($"'{file}': {key} has {values.Length} entries; expected {nPhysical} (one per physical axis) or {physical.Length}.", file);
    }

    /// <summary>
    /// The x axis' unit, and factors that bring each axis' values into it. Without units, voxels of size 1
    /// (or none given) mean nothing is known ("pixel"); other sizes are taken as nanometres.
    /// </summary>
    private static (string Unit, (double X, double Y, double Z) Scale) CommonUnit(AxisRole[] physicalRoles, string[]? units, bool unitVoxels, string file)
    {
        if (units is null || units.All(string.IsNullOrWhiteSpace))
            return (unitVoxels ? VoxelSize.Unknown.Unit : DefaultUnit, (1, 1, 1));
        int ix = Array.IndexOf(physicalRoles, AxisRole.X), iy = Array.IndexOf(physicalRoles, AxisRole.Y), iz = Array.IndexOf(physicalRoles, AxisRole.Z);
        string UnitAt(int i) => i < 0 || string.IsNullOrWhiteSpace(units[i]) ? DefaultUnit : units[i];
        string target = Units.Canonical(UnitAt(ix));
        double F(int i)
        {
            var u = UnitAt(i);
            return Units.Factor(u, target) ?? throw new InvalidVolumeException($"'{file}': units '{u}' and '{target}' cannot be converted into each other.", file);
        }
        return (target, (1, F(iy), iz < 0 ? 1 : F(iz)));
    }
}
