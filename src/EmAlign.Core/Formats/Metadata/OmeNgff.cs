using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Metadata;

/// <summary>One axis of an OME-NGFF multiscales entry.</summary>
public sealed record OmeAxis(string Name, string? Type, string? Unit);

/// <summary>
/// One resolution level of an OME-NGFF multiscales entry: its array path (relative to the group) and its
/// coordinate transformation (per stored axis, with the entry-wide transformations already applied):
/// physical = index * Scale + Translation. Scale is null for pre-0.4 data without transformations.
/// </summary>
public sealed record OmeLevel(string Path, double[]? Scale, double[] Translation);

/// <summary>
/// The first multiscales entry of an OME-NGFF 0.4 (.zattrs "multiscales") or 0.5 (attributes "ome") image group:
/// axes in stored order and levels finest first.
/// </summary>
public sealed record OmeMultiscale(string? Name, IReadOnlyList<OmeAxis> Axes, IReadOnlyList<OmeLevel> Levels)
{
    /// <summary>Role of each stored axis: space axes by name (x, y, z), one channel-like axis; time axes are rejected.</summary>
    public AxisRole[] Roles(string file)
    {
        var roles = new AxisRole[Axes.Count];
        for (int i = 0; i < roles.Length; i++)
        {
            var a = Axes[i];
            var name = a.Name.Trim().ToLowerInvariant();
            if (a.Type == "time" || (a.Type is null && name == "t"))
                throw new InvalidVolumeException($"'{file}': axis '{a.Name}' is a time axis; EmAlign reads (c,) z, y, x volumes.", file);
            roles[i] = (a.Type is null or "space") && name is "x" or "y" or "z"
                ? name switch { "x" => AxisRole.X, "y" => AxisRole.Y, _ => AxisRole.Z }
                : AxisRole.Channel;
        }
        AxisRoles.Validate(roles, file);
        return roles;
    }

    /// <summary>Physical size of a voxel of level <paramref name="level"/>, in the x axis' unit (nanometres when no unit is given).</summary>
    public VoxelSize VoxelSize(int level, string file)
    {
        var scale = Levels[level].Scale;
        var roles = Roles(file);
        var (unit, f) = CommonUnit(roles, file);
        if (scale is null) return Volumes.VoxelSize.Unknown;
        var s = Pick(roles, scale, 1);
        return new VoxelSize(s.X * f.X, s.Y * f.Y, s.Z * f.Z, unit);
    }

    /// <summary>World position of voxel (0, 0, 0) of level <paramref name="level"/> (its translation), x, y, z in <see cref="VoxelSize"/>'s unit.</summary>
    public (double X, double Y, double Z) Offset(int level, string file)
    {
        var roles = Roles(file);
        var (_, f) = CommonUnit(roles, file);
        var t = Pick(roles, Levels[level].Translation, 0);
        return (t.X * f.X, t.Y * f.Y, t.Z * f.Z);
    }

    /// <summary>
    /// Downsampling factor of level <paramref name="level"/> relative to level 0 (scale ratio per axis, x, y, z),
    /// or null when the entry has no scales. Ratios must be whole numbers.
    /// </summary>
    public Mag? MagOf(int level, string file)
    {
        if (Levels[0].Scale is not { } s0 || Levels[level].Scale is not { } sk) return null;
        var roles = Roles(file);
        return Pyramids.MagFromScales(Pick(roles, s0, 1), Pick(roles, sk, 1), Levels[level].Path, file);
    }

    private static (double X, double Y, double Z) Pick(AxisRole[] roles, double[] perAxis, double missing)
    {
        var phys = roles.Where(r => r != AxisRole.Channel).ToArray();
        var values = perAxis.Where((_, i) => roles[i] != AxisRole.Channel).ToArray();
        return SpatialInfo.ToXyz(phys, values, missing);
    }

    private (string Unit, (double X, double Y, double Z) Factor) CommonUnit(AxisRole[] roles, string file)
    {
        string? UnitOf(AxisRole r) { int i = Array.IndexOf(roles, r); return i < 0 ? null : Axes[i].Unit; }
        var ux = UnitOf(AxisRole.X);
        if (string.IsNullOrWhiteSpace(ux) && string.IsNullOrWhiteSpace(UnitOf(AxisRole.Y)) && string.IsNullOrWhiteSpace(UnitOf(AxisRole.Z)))
            return (FunlibAttributes.DefaultUnit, (1, 1, 1));
        string target = Units.Canonical(string.IsNullOrWhiteSpace(ux) ? FunlibAttributes.DefaultUnit : ux);
        double F(AxisRole r)
        {
            var u = UnitOf(r);
            if (string.IsNullOrWhiteSpace(u)) return 1;
            return Units.Factor(u, target) ?? throw new InvalidVolumeException($"'{file}': axis units '{u}' and '{target}' cannot be converted into each other.", file);
        }
        return (target, (1, F(AxisRole.Y), F(AxisRole.Z)));
    }
}

/// <summary>Reading and writing OME-NGFF image-group metadata (multiscales).</summary>
public static class OmeNgff
{
    /// <summary>
    /// The first multiscales entry of a group's attributes: "multiscales" (0.4 .zattrs) or "ome"."multiscales"
    /// (0.5); null when there is none. Dataset paths must be relative paths inside the group.
    /// </summary>
    public static OmeMultiscale? Read(JsonObject? attrs, string file)
    {
        var list = attrs?["multiscales"] ?? (attrs?["ome"] as JsonObject)?["multiscales"];
        if (list is null) return null;
        if (list is not JsonArray { Count: > 0 } entries || entries[0] is not JsonObject ms)
            throw new InvalidVolumeException($"'{file}': multiscales is {list.ToJsonString()}; expected a list with at least one entry.", file);

        var axes = new List<OmeAxis>();
        if (ms["axes"] is JsonArray axesNode)
        {
            foreach (var a in axesNode)
            {
                // 0.3 lists bare names; 0.4+ lists objects.
                if (a is JsonObject o)
                    axes.Add(new OmeAxis(JsonAttributes.String(o["name"], "axes[].name", file) ?? "", JsonAttributes.String(o["type"], "axes[].type", file), JsonAttributes.String(o["unit"], "axes[].unit", file)));
                else axes.Add(new OmeAxis(JsonAttributes.String(a, "axes[]", file) ?? "", null, null));
            }
        }
        if (ms["datasets"] is not JsonArray { Count: > 0 } datasets)
            throw new InvalidVolumeException($"'{file}': multiscales[0].datasets is missing or empty; expected one entry per resolution level.", file);

        var (gScale, gTrans) = Transforms(ms["coordinateTransformations"], "multiscales[0].coordinateTransformations", file);
        var levels = new List<OmeLevel>();
        foreach (var d in datasets)
        {
            var path = JsonAttributes.String(d?["path"], "datasets[].path", file)
                ?? throw new InvalidVolumeException($"'{file}': a multiscales dataset has no path.", file);
            CheckRelativePath(path, file);
            var (scale, trans) = Transforms(d!["coordinateTransformations"], $"datasets '{path}' coordinateTransformations", file);
            int n = axes.Count > 0 ? axes.Count : scale?.Length ?? 0;
            trans ??= new double[n];
            if (gScale is not null && scale is not null)
            {
                for (int i = 0; i < Math.Min(scale.Length, gScale.Length); i++) { scale[i] *= gScale[i]; trans[i] *= gScale[i]; }
            }
            if (gTrans is not null) for (int i = 0; i < Math.Min(trans.Length, gTrans.Length); i++) trans[i] += gTrans[i];
            if (scale is not null && axes.Count > 0 && scale.Length != axes.Count)
                throw new InvalidVolumeException($"'{file}': dataset '{path}' has {scale.Length} scale entries for {axes.Count} axes.", file);
            levels.Add(new OmeLevel(path, scale, trans));
        }
        if (axes.Count == 0)
        {
            // Before 0.4 axes were implied: (t, c,) z, y, x, trailing.
            int rank = levels[0].Scale?.Length ?? 0;
            string[] names = ["t", "c", "z", "y", "x"];
            axes.AddRange(names[^Math.Max(0, Math.Min(rank, 5))..].Select(n => new OmeAxis(n, n == "c" ? "channel" : null, null)));
        }
        return new OmeMultiscale(JsonAttributes.String(ms["name"], "multiscales[0].name", file), axes, levels);
    }

    /// <summary>
    /// An OME-NGFF 0.4 "multiscales" value for arrays with <paramref name="roles"/> (stored order), one level per
    /// entry of <paramref name="levels"/> (path and mag relative to level 0): scale = voxel size times mag, the
    /// same translation (the offset) for every level, as WEBKNOSSOS writes it.
    /// </summary>
    public static JsonArray Write04(string name, IReadOnlyList<AxisRole> roles, VoxelSize voxelSize, (double X, double Y, double Z) offset, IReadOnlyList<(string Path, Mag Mag)> levels)
    {
        return [Entry("0.4", name, roles, voxelSize, offset, levels)];
    }

    /// <summary>
    /// The OME-NGFF 0.5 "ome" attribute of a Zarr v3 image group: {"version": "0.5", "multiscales": [...]}, with the
    /// same entry as <see cref="Write04"/> but the version stated once, outside the entry. The arrays must carry
    /// dimension_names equal to the axis names (see <see cref="AxisNames"/>).
    /// </summary>
    public static JsonObject Write05(string name, IReadOnlyList<AxisRole> roles, VoxelSize voxelSize, (double X, double Y, double Z) offset, IReadOnlyList<(string Path, Mag Mag)> levels) =>
        new() { ["version"] = "0.5", ["multiscales"] = new JsonArray { Entry(null, name, roles, voxelSize, offset, levels) } };

    /// <summary>
    /// The name a volume at <paramref name="path"/> goes by in metadata: its folder name without extension, and without
    /// the ".partial-XXXXXXXX" a copy is built under before it is renamed into place.
    /// </summary>
    public static string NameOf(string path) =>
        System.Text.RegularExpressions.Regex.Replace(System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path)), @"(\.partial-[0-9a-f]{8})?(\.[A-Za-z0-9]+)?$", "");

    /// <summary>The axis names the writers use for <paramref name="roles"/>: c, z, y, x.</summary>
    public static string[] AxisNames(IReadOnlyList<AxisRole> roles) =>
        [.. roles.Select(r => r switch { AxisRole.Channel => "c", AxisRole.Z => "z", AxisRole.Y => "y", _ => "x" })];

    private static JsonObject Entry(string? version, string name, IReadOnlyList<AxisRole> roles, VoxelSize voxelSize, (double X, double Y, double Z) offset, IReadOnlyList<(string Path, Mag Mag)> levels)
    {
        bool known = voxelSize.Unit != VoxelSize.Unknown.Unit;
        var axes = new JsonArray();
        foreach (var r in roles)
        {
            var a = new JsonObject
            {
                ["name"] = AxisNames([r])[0],
                ["type"] = r == AxisRole.Channel ? "channel" : "space",
            };
            if (r != AxisRole.Channel && known) a["unit"] = Units.Canonical(voxelSize.Unit);
            axes.Add(a);
        }
        bool hasOffset = offset != (0, 0, 0);
        var datasets = new JsonArray();
        foreach (var (path, mag) in levels)
        {
            double[] scale = [.. roles.Select(r => r switch { AxisRole.X => voxelSize.X * mag.X, AxisRole.Y => voxelSize.Y * mag.Y, AxisRole.Z => voxelSize.Z * mag.Z, _ => 1.0 })];
            var transforms = new JsonArray { new JsonObject { ["type"] = "scale", ["scale"] = new JsonArray([.. scale.Select(v => (JsonNode)JsonValue.Create(v))]) } };
            if (hasOffset)
            {
                double[] t = [.. roles.Select(r => r switch { AxisRole.X => offset.X, AxisRole.Y => offset.Y, AxisRole.Z => offset.Z, _ => 0.0 })];
                transforms.Add(new JsonObject { ["type"] = "translation", ["translation"] = new JsonArray([.. t.Select(v => (JsonNode)JsonValue.Create(v))]) });
            }
            datasets.Add(new JsonObject { ["path"] = path, ["coordinateTransformations"] = transforms });
        }
        var entry = new JsonObject();
        if (version is not null) entry["version"] = version;
        entry["name"] = name;
        entry["axes"] = axes;
        entry["datasets"] = datasets;
        return entry;
    }

    /// <summary>Rejects paths that could leave the group: absolute, empty segments, "." or "..", backslashes.</summary>
    public static void CheckRelativePath(string path, string file)
    {
        bool bad = path.Length == 0 || path.StartsWith('/') || path.Contains('\\') || System.IO.Path.IsPathRooted(path)
            || path.Split('/').Any(s => s is "" or "." or "..");
        if (bad)
            throw new InvalidVolumeException($"'{file}' names the dataset path '{path}'; expected a relative path inside the group (no '..', '.', empty or absolute parts).", file);
    }

    private static (double[]? Scale, double[]? Translation) Transforms(JsonNode? node, string what, string file)
    {
        if (node is null) return (null, null);
        if (node is not JsonArray list) throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a list.", file);
        double[]? scale = null, trans = null;
        foreach (var t in list)
        {
            switch (JsonAttributes.String(t?["type"], what + " type", file))
            {
                case "scale": scale = JsonAttributes.Doubles(t!["scale"], what + " scale", file); break;
                case "translation": trans = JsonAttributes.Doubles(t!["translation"], what + " translation", file); break;
                case "identity": break;
                case var other: throw new InvalidVolumeException($"'{file}': {what} has a '{other}' transformation; expected scale and translation.", file);
            }
        }
        return (scale, trans);
    }
}
