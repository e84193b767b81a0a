using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.N5;

/// <summary>
/// N5 ("n5"): a dataset (attributes.json with dimensions, blockSize, dataType, compression), or a group holding
/// a scale pyramid s0, s1, ... (n5-viewer "downsamplingFactors"/"scales"/"pixelResolution", Paintera
/// "resolution", BigDataViewer lists of factors, COSEM "multiscales" with per-level "transform").
/// Created datasets have big-endian blocks truncated at the array edge, as the N5 reference writer does;
/// a new container's root attributes carry "n5": <see cref="N5Hierarchy.Version"/>.
/// </summary>
public sealed class N5Format : IVolumeFormat
{
    public string Name => "n5";

    /// <summary>
    /// True for a folder with attributes.json (or a scale group whose s0 has one) that is not also a Zarr node
    /// or a WEBKNOSSOS dataset root.
    /// </summary>
    public bool CanOpen(string path) =>
        Directory.Exists(path)
        && !File.Exists(Path.Combine(path, "datasource-properties.json"))
        && !ZarrHierarchy.IsArray(path) && !ZarrHierarchy.IsGroup(path)
        && (N5Hierarchy.IsNode(path) || N5Hierarchy.IsNode(Path.Combine(path, "s0")));

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        path = Path.GetFullPath(path);
        if (!Directory.Exists(path)) throw new VolumeNotFoundException($"'{path}' does not exist: expected an N5 dataset or scale group folder.", path);
        var attrs = N5Hierarchy.ReadAttributes(path);
        var file = Path.Combine(path, N5Hierarchy.AttributesFile);
        var (root, dataset) = N5Hierarchy.Split(path);
        if (N5Hierarchy.IsDataset(attrs))
        {
            var rank = ((JsonArray)attrs!["dimensions"]!).Count;
            var info = N5Spatial.Read(attrs, rank, file);
            var array = N5Hierarchy.OpenDataset(path, attrs, options.Writable, info?.Roles);
            return new EmVolume(root, Name, dataset, [new VolumeLevel(Mag.One, array)], info?.VoxelSize ?? VoxelSize.Unknown, options.Cache, info?.Offset);
        }
        return OpenPyramid(path, attrs, file, root, dataset, options);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        path = Path.GetFullPath(path);
        var req = CreateRequest.From(path, options);
        if (options.FillValue != 0)
            throw new EmAlignException($"Fill value {options.FillValue} cannot be stored in N5: N5 has no fill value (missing blocks read as 0).", "FillValue");
        var codec = ChunkCodecs.Create(options.Codec, options.Level);
        N5Compression.ToJson(codec);

        var plan = new List<(string Dir, Mag Mag, long[] Shape, N5Array Array)>();
        for (int k = 0; k < req.Mags.Count; k++)
        {
            var dir = req.IsPyramid ? Path.Combine(path, $"s{k}") : path;
            var shape = req.LevelShape(req.Mags[k]);
            plan.Add((dir, req.Mags[k], shape, new N5Array(dir, [.. Enumerable.Reverse(shape)], [.. Enumerable.Reverse(req.Chunks)], options.DataType, codec, req.Roles, writable: true)));
        }

        CreateRequest.RemoveExisting(path, options.Force, N5Hierarchy.IsNode, "N5");
        var root = PrepareRoot(path);
        foreach (var (dir, mag, shape, _) in plan)
        {
            var attrs = N5Hierarchy.DatasetAttributes(shape, req.Chunks, options.DataType, codec);
            N5Spatial.Write(attrs, CreateRequest.LevelVoxelSize(options.VoxelSize, mag), options.Offset, req.IsPyramid ? mag : null);
            if (req.IsPyramid) attrs["downsamplingFactors"] = MagJson(mag);
            if (dir == root) attrs["n5"] = N5Hierarchy.Version;
            N5Hierarchy.WriteAttributes(dir, attrs);
        }
        if (req.IsPyramid)
        {
            // The group's attributes go last: the pyramid is announced once its levels exist.
            var group = new JsonObject { ["multiScale"] = true, ["scales"] = new JsonArray([.. req.Mags.Select(m => (JsonNode)MagJson(m))]) };
            N5Spatial.Write(group, options.VoxelSize, options.Offset);
            if (path == root) group["n5"] = N5Hierarchy.Version;
            N5Hierarchy.WriteAttributes(path, group);
        }
        var dataset = Path.GetRelativePath(root, path).Replace('\\', '/');
        return new EmVolume(root, Name, dataset == "." ? "" : dataset, [.. plan.Select(p => new VolumeLevel(p.Mag, p.Array))], options.VoxelSize, options.Cache, options.Offset);
    }

    /// <summary>
    /// The container root for a new node: an existing root above it, else the outermost ancestor named *.n5
    /// (which gets the "n5" version), else the new node itself.
    /// </summary>
    private static string PrepareRoot(string path)
    {
        if (N5Hierarchy.FindRoot(Path.GetDirectoryName(path) ?? path) is { } existing) return existing;
        string? outer = null;
        for (var p = Path.GetDirectoryName(path); p is not null; p = Path.GetDirectoryName(p))
            if (p.EndsWith(".n5", StringComparison.OrdinalIgnoreCase)) outer = p;
        if (outer is null) return path;
        var attrs = N5Hierarchy.ReadAttributes(outer) ?? [];
        attrs["n5"] = N5Hierarchy.Version;
        N5Hierarchy.WriteAttributes(outer, attrs);
        return outer;
    }

    private EmVolume OpenPyramid(string path, JsonObject? attrs, string file, string root, string dataset, VolumeOpenOptions options)
    {
        var names = LevelNames(path, attrs, file);
        var levels = new List<VolumeLevel>();
        SpatialInfo? info0 = null;
        var groupScales = attrs?["scales"] as JsonArray ?? attrs?["downsamplingFactors"] as JsonArray;
        for (int k = 0; k < names.Count; k++)
        {
            var (name, namedMag) = names[k];
            var dir = Path.Combine(path, name);
            var levelFile = Path.Combine(dir, N5Hierarchy.AttributesFile);
            var la = N5Hierarchy.ReadAttributes(dir);
            if (!N5Hierarchy.IsDataset(la))
                throw new InvalidVolumeException($"'{file}' names the scale level '{name}', but '{levelFile}' is not an N5 dataset.", file);
            var rank = ((JsonArray)la!["dimensions"]!).Count;
            var info = N5Spatial.Read(la, rank, levelFile);
            var array = N5Hierarchy.OpenDataset(dir, la, options.Writable, info?.Roles);
            if (k == 0) info0 = info;

            Mag mag;
            if (N5Spatial.Xyz(la["downsamplingFactors"], "downsamplingFactors", levelFile, 1) is { } f) mag = MagOf(f, name, levelFile);
            else if (groupScales is { } gs && k < gs.Count && gs[k] is JsonArray) mag = MagOf(N5Spatial.Xyz(gs[k], $"scales[{k}]", file, 1)!.Value, name, file);
            else if (namedMag is { } m) mag = m;
            else if (k == 0) mag = Mag.One;
            else if (info0 is not null && info is not null && info.VoxelSize.Unit == info0.VoxelSize.Unit && info0.VoxelSize != VoxelSize.Unknown)
                mag = Pyramids.MagFromScales((info0.VoxelSize.X, info0.VoxelSize.Y, info0.VoxelSize.Z), (info.VoxelSize.X, info.VoxelSize.Y, info.VoxelSize.Z), name, path);
            else mag = Pyramids.MagFromShapes(levels[0].Size, (array.Shape[^1], array.Shape[^2], array.Shape[^3]), name, path);
            levels.Add(new VolumeLevel(mag, array));
        }
        Pyramids.CheckLevels(levels, path);

        // The group's own resolution describes s0; otherwise s0's, brought back to mag 1.
        var groupInfo = N5Spatial.Read(attrs, levels[0].Array.Shape.Count, file);
        VoxelSize vs;
        (double X, double Y, double Z)? offset;
        if (groupInfo is not null) { vs = groupInfo.VoxelSize; offset = groupInfo.Offset; }
        else
        {
            var m0 = levels[0].Mag;
            vs = info0?.VoxelSize ?? VoxelSize.Unknown;
            if (!m0.IsOne && vs != VoxelSize.Unknown) vs = vs with { X = vs.X / m0.X, Y = vs.Y / m0.Y, Z = vs.Z / m0.Z };
            offset = info0?.Offset;
        }
        return new EmVolume(root, Name, dataset, levels, vs, options.Cache, offset);
    }

    /// <summary>Level datasets: COSEM "multiscales" paths when given, else children named as a pyramid.</summary>
    private static IReadOnlyList<(string Name, Mag? Mag)> LevelNames(string path, JsonObject? attrs, string file)
    {
        if (attrs?["multiscales"] is JsonArray { Count: > 0 } ms && ms[0]?["datasets"] is JsonArray ds)
        {
            var list = new List<(string, Mag?)>();
            foreach (var d in ds)
            {
                var p = JsonAttributes.String(d?["path"], "multiscales datasets path", file)
                    ?? throw new InvalidVolumeException($"'{file}': a multiscales dataset has no path.", file);
                OmeNgff.CheckRelativePath(p, file);
                list.Add((p, null));
            }
            if (list.Count > 0) return list;
        }
        var datasets = Directory.EnumerateDirectories(path).Where(N5Hierarchy.IsNode).Select(Path.GetFileName).OfType<string>().Order().ToList();
        return Pyramids.FromNames(datasets)
            ?? throw new InvalidVolumeException(datasets.Count == 0
                ? $"'{path}' is an N5 group without datasets: expected a dataset (attributes.json with dimensions) or a scale group (s0, s1, ...)."
                : $"'{path}' is an N5 group whose datasets ({string.Join(", ", datasets)}) do not form a scale pyramid: open one of them, e.g. '{Path.Combine(path, datasets[0])}'.", path);
    }

    private static Mag MagOf((double X, double Y, double Z) f, string level, string file) =>
        Pyramids.MagFromScales((1, 1, 1), f, level, file);

    private static JsonArray MagJson(Mag m) => [m.X, m.Y, m.Z];
}
