using EmAlign.Geometry;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Volumes;

namespace EmAlign.Formats.N5;

/// <summary>
/// Voxel size and offset from the attribute conventions seen in N5 containers, first match wins:
/// COSEM "transform" (lists in C order unless "ordering" is "F"), n5-viewer "pixelResolution"
/// {unit, dimensions (x first)} with an optional "offset" (x first), and funlib/daisy attributes
/// ("voxel_size" lists in stored C order, legacy "resolution"/"offset" x first).
/// </summary>
internal static class N5Spatial
{
    public static SpatialInfo? Read(JsonObject? attrs, int rank, string file)
    {
        if (attrs is null) return null;
        var funlib = FunlibAttributes.Read(attrs, rank, legacyXyz: true, file);
        var roles = funlib?.Roles ?? AxisRoles.Default(rank, file);
        if (attrs["transform"] is JsonObject t) return FromTransform(t, roles, file);
        if (attrs["pixelResolution"] is { } pr) return FromPixelResolution(pr, attrs, roles, file);
        return funlib;
    }

    /// <summary>
    /// Writes n5-viewer "pixelResolution" and the funlib/Paintera "resolution" and "offset" (all x first). For a level
    /// written with "downsamplingFactors" <paramref name="downsampling"/>, pixelResolution is the full-resolution
    /// voxel size, as n5-viewer and bigstream read it (the level's voxel is pixelResolution x downsamplingFactors).
    /// </summary>
    public static void Write(JsonObject attrs, VoxelSize voxelSize, (double X, double Y, double Z) offset, Mag? downsampling = null)
    {
        string unit = voxelSize.Unit == VoxelSize.Unknown.Unit ? "" : Units.Canonical(voxelSize.Unit);
        var m = downsampling ?? Mag.One;
        attrs["pixelResolution"] = new JsonObject { ["unit"] = unit, ["dimensions"] = JsonAttributes.Numbers([voxelSize.X / m.X, voxelSize.Y / m.Y, voxelSize.Z / m.Z]) };
        attrs["resolution"] = JsonAttributes.Numbers([voxelSize.X, voxelSize.Y, voxelSize.Z]);
        attrs["offset"] = JsonAttributes.Numbers([offset.X, offset.Y, offset.Z]);
    }

    /// <summary>An x-first list of three (or two) numbers as (x, y, z); missing z is <paramref name="missing"/>.</summary>
    public static (double X, double Y, double Z)? Xyz(JsonNode? node, string what, string file, double missing)
    {
        var v = JsonAttributes.Doubles(node, what, file);
        if (v is null) return null;
        if (v.Length < 2) throw new InvalidVolumeException($"'{file}': {what} has {v.Length} entries; expected x, y (and z) values.", file);
        return (v[0], v[1], v.Length > 2 ? v[2] : missing);
    }

    private static SpatialInfo FromPixelResolution(JsonNode pr, JsonObject attrs, IReadOnlyList<AxisRole> roles, string file)
    {
        // Older writers store the bare list; newer ones {unit, dimensions}.
        var dims = pr is JsonObject o ? o["dimensions"] : pr;
        var unitText = pr is JsonObject o2 ? JsonAttributes.String(o2["unit"], "pixelResolution unit", file) : null;
        var v = Xyz(dims, "pixelResolution dimensions", file, 1)
            ?? throw new InvalidVolumeException($"'{file}': pixelResolution has no dimensions; expected {{\"unit\": ..., \"dimensions\": [x, y, z]}}.", file);
        // n5-viewer/bigstream: pixelResolution is the full-resolution voxel; a level's own is that times its factors.
        if (Xyz(attrs["downsamplingFactors"], "downsamplingFactors", file, 1) is { } f) v = (v.X * f.X, v.Y * f.Y, v.Z * f.Z);
        var offset = Xyz(attrs["offset"], "offset", file, 0) ?? (0, 0, 0);
        string unit = string.IsNullOrWhiteSpace(unitText) ? FunlibAttributes.DefaultUnit : Units.Canonical(unitText);
        return new SpatialInfo(roles, new VoxelSize(v.X, v.Y, v.Z, unit), offset);
    }

    private static SpatialInfo FromTransform(JsonObject t, IReadOnlyList<AxisRole> roles, string file)
    {
        var axes = JsonAttributes.Strings(t["axes"], "transform axes", file);
        var scale = JsonAttributes.Doubles(t["scale"], "transform scale", file);
        var translate = JsonAttributes.Doubles(t["translate"], "transform translate", file);
        var units = JsonAttributes.Strings(t["units"], "transform units", file);
        if (JsonAttributes.String(t["ordering"], "transform ordering", file) == "F")
        {
            foreach (var list in new Array?[] { axes, scale, translate, units }) if (list is not null) Array.Reverse(list);
        }
        int n = scale?.Length ?? translate?.Length ?? 0;
        axes ??= [.. new[] { "z", "y", "x" }[^Math.Min(3, n)..]];
        double Get(double[]? values, string axis, double missing)
        {
            int i = Array.FindIndex(axes, a => string.Equals(a, axis, StringComparison.OrdinalIgnoreCase));
            return values is not null && i >= 0 && i < values.Length ? values[i] : missing;
        }
        int ix = Array.FindIndex(axes, a => a.Equals("x", StringComparison.OrdinalIgnoreCase));
        string? unitText = units is not null && ix >= 0 && ix < units.Length ? units[ix] : null;
        string unit = string.IsNullOrWhiteSpace(unitText) ? FunlibAttributes.DefaultUnit : Units.Canonical(unitText);
        return new SpatialInfo(roles,
            new VoxelSize(Get(scale, "x", 1), Get(scale, "y", 1), Get(scale, "z", 1), unit),
            (Get(translate, "x", 0), Get(translate, "y", 0), Get(translate, "z", 0)));
    }
}
