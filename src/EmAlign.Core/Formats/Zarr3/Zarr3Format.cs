using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr3;

/// <summary>
/// Zarr v3 ("zarr3"): a single array (zarr.json with node_type "array"), or a group holding a resolution pyramid
/// described by OME-NGFF 0.5 ("ome" attribute; 0.4-style "multiscales" also read) or named like one (s0, s1 / 0, 1 /
/// WEBKNOSSOS mags). Axis roles come from dimension_names; voxel size and offset from the multiscales, else from
/// funlib attributes on the array. Created volumes follow zarr-python 3's conventions: bytes little-endian plus the
/// chosen compressor, "default" chunk keys with "/", dimension_names, and optionally sharding_indexed (inner chunks =
/// the chunk shape, shards = <see cref="VolumeCreateOptions.ShardShape"/>, index with CRC32C at the end). Pyramids
/// are OME-NGFF 0.5 image groups with arrays s0, s1, ...
/// </summary>
public sealed class Zarr3Format : IVolumeFormat, IMultiscaleFormat
{
    public string Name => "zarr3";

    /// <summary>True for a folder with zarr.json that is not a WEBKNOSSOS dataset root.</summary>
    public bool CanOpen(string path) =>
        Directory.Exists(path) && !File.Exists(Path.Combine(path, "datasource-properties.json")) && Zarr3Hierarchy.IsNode(path);

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        path = Path.GetFullPath(path);
        var node = Zarr3Json.ReadNode(path)
            ?? throw new VolumeNotFoundException($"'{path}' has no zarr.json: expected a Zarr v3 array or group.", path);
        var (root, dataset) = Zarr3Hierarchy.Split(path);
        var file = Path.Combine(path, Zarr3Json.NodeFile);
        if (node.NodeType == "array")
        {
            var (array, info) = OpenArray(path, options.Writable, null);
            return new EmVolume(root, Name, dataset, [new VolumeLevel(Mag.One, array)], info?.VoxelSize ?? VoxelSize.Unknown, options.Cache, info?.Offset);
        }
        var attrs = node.Doc["attributes"] as JsonObject;
        var ms = OmeNgff.Read(attrs, file);
        return ms is not null ? OpenOme(path, root, dataset, ms, file, options) : OpenNamedPyramid(path, root, dataset, options);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        path = Path.GetFullPath(path);
        var req = CreateRequest.From(path, options);
        var codec = ChunkCodecs.Create(options.Codec, options.Level);
        var shard = ShardShape(options.ShardShape, req);
        var names = OmeNgff.AxisNames(req.Roles);

        var plan = new List<(string Dir, Mag Mag, Zarr3Array Array)>();
        for (int k = 0; k < req.Mags.Count; k++)
        {
            var dir = req.IsPyramid ? Path.Combine(path, $"s{k}") : path;
            var attrs = new JsonObject();
            FunlibAttributes.Write(attrs, req.Roles, CreateRequest.LevelVoxelSize(options.VoxelSize, req.Mags[k]), options.Offset);
            var meta = NewArray(req.LevelShape(req.Mags[k]), req.Chunks, shard, options.DataType, codec, options.FillValue, names, null, attrs);
            plan.Add((dir, req.Mags[k], new Zarr3Array(dir, meta, req.Roles, writable: true)));
        }

        CreateRequest.RemoveExisting(path, options.Force, Zarr3Hierarchy.IsNode, "Zarr v3");
        var root = Zarr3Hierarchy.PrepareParents(path);
        // Arrays first, the image group last: the pyramid is announced once its levels exist.
        foreach (var (dir, _, array) in plan) Zarr3Hierarchy.WriteJson(dir, array.Metadata.ToJson());
        if (req.IsPyramid)
        {
            var ome = OmeNgff.Write05(OmeNgff.NameOf(path), req.Roles, options.VoxelSize, options.Offset,
                [.. plan.Select(p => (Path.GetFileName(p.Dir), p.Mag))]);
            Zarr3Hierarchy.WriteGroup(path, new JsonObject { ["ome"] = ome });
        }
        var dataset = Path.GetRelativePath(root, path).Replace('\\', '/');
        return new EmVolume(root, Name, dataset == "." ? "" : dataset, [.. plan.Select(p => new VolumeLevel(p.Mag, p.Array))], options.VoxelSize, options.Cache, options.Offset);
    }

    /// <summary>
    /// Adds levels to an OME-NGFF image group: arrays s&lt;k&gt; shaped and encoded like level 0, listed in the group's
    /// multiscales (scale = level 0's scale times the mag, level 0's translation) once filled.
    /// </summary>
    public EmVolume AddLevels(EmVolume volume, IReadOnlyList<Mag> mags, Action<EmVolume, Box3?> fill)
    {
        var group = Path.Combine(volume.Path, volume.Dataset);
        var file = Path.Combine(group, Zarr3Json.NodeFile);
        var node = Zarr3Json.ReadNode(group);
        if (node is not { NodeType: "group" } || node.Value.Doc["attributes"] is not JsonObject attrs || MultiscalesEntry(attrs) is not JsonObject entry)
            throw new InvalidVolumeException($"'{group}' is not an OME-NGFF image group: levels can be added only to a multiscale group (create one with --levels).", group);
        if (volume.Levels[0].Array is not Zarr3Array first)
            throw new InvalidVolumeException($"'{group}': level 0 is not a Zarr v3 array.", group);
        var datasets = (JsonArray)entry["datasets"]!;
        var scale0 = ScaleOf(datasets[0]!, file);
        var roles = Zarr3Array.RolesOf(first.Metadata, first.Path);

        var created = new List<string>();
        var levels = volume.Levels.ToList();
        try
        {
            int k = 0;
            foreach (var mag in mags)
            {
                while (Directory.Exists(Path.Combine(group, $"s{k}"))) k++;
                var dir = Path.Combine(group, $"s{k}");
                var shape = (long[])first.Metadata.Shape.Clone();
                var bounds = volume.Bounds;
                for (int i = 0; i < roles.Length; i++)
                    if (roles[i] != AxisRole.Channel) shape[i] = Box3.CeilDiv(roles[i] switch { AxisRole.X => bounds.SizeX, AxisRole.Y => bounds.SizeY, _ => bounds.SizeZ }, mag.Factor(roles[i]));
                var meta = first.Metadata with { Shape = shape, Attributes = new JsonObject() };
                created.Add(dir);
                Zarr3Hierarchy.WriteJson(dir, meta.ToJson());
                levels.Add(new VolumeLevel(mag, new Zarr3Array(dir, meta, roles, writable: true)));
                datasets.Add(new JsonObject
                {
                    ["path"] = $"s{k}",
                    ["coordinateTransformations"] = LevelTransforms(datasets[0]!, roles, scale0, volume.Levels[0].Mag, mag),
                });
            }
            var extended = new EmVolume(volume.Path, Name, volume.Dataset, levels, volume.VoxelSize, volume.Cache, volume.Offset);
            fill(extended, null);
            extended.Flush();
            Zarr3Hierarchy.WriteJson(group, node.Value.Doc);
            return extended;
        }
        catch
        {
            foreach (var dir in created) FileStore.DeleteTree(dir);
            throw;
        }
    }

    /// <summary>OME-NGFF groups say nothing about labels outside a labels group: the mean.</summary>
    public DownsampleFilter DefaultFilter(EmVolume volume) => DownsampleFilter.Mean;

    /// <summary>
    /// Metadata of a new array. Shapes are in stored order; with <paramref name="shard"/> the chunk grid is the shard
    /// grid and <paramref name="chunks"/> the inner chunks. <paramref name="transpose"/> (optional) orders the bytes of a chunk.
    /// </summary>
    internal static Zarr3ArrayMetadata NewArray(long[] shape, int[] chunks, int[]? shard, DataType type, IChunkCodec? codec, double fill,
        string[] names, int[]? transpose, JsonObject? attributes)
    {
        var inner = Zarr3CodecChain.Build(codec, type, transpose);
        var codecs = shard is null ? inner : [ShardingCodec.Build(chunks, inner)];
        return new Zarr3ArrayMetadata(shape, type, shard ?? chunks, ChunkKeyEncoding.Default, ZarrArrayMetadata.CanonicalFill(fill), codecs, names, attributes);
    }

    private static int[]? ShardShape(IReadOnlyList<int>? shard, CreateRequest req)
    {
        if (shard is null) return null;
        if (shard.Count != req.Chunks.Length || shard.Select((s, i) => s < 1 || s % req.Chunks[i] != 0).Any(b => b))
            throw new EmAlignException(
                $"Shard shape [{string.Join(", ", shard)}] does not fit chunks [{string.Join(", ", req.Chunks)}]: expected {req.Chunks.Length} sizes, each a multiple of the chunk size.", "ShardShape");
        return [.. shard];
    }

    private static (Zarr3Array Array, SpatialInfo? Info) OpenArray(string dir, bool writable, IReadOnlyList<AxisRole>? roles)
    {
        var file = Path.Combine(dir, Zarr3Json.NodeFile);
        var node = Zarr3Json.ReadNode(dir) ?? throw new VolumeNotFoundException($"'{dir}' has no zarr.json: expected a Zarr v3 array there.", dir);
        if (node.NodeType != "array") throw new InvalidVolumeException($"'{file}' describes a group; expected an array.", file);
        var meta = Zarr3ArrayMetadata.Parse(node.Doc, file);
        var info = FunlibAttributes.Read(meta.Attributes, meta.Shape.Length, legacyXyz: false, file);
        roles ??= meta.DimensionNames is not null ? Zarr3Array.RolesOf(meta, file) : info?.Roles ?? AxisRoles.Default(meta.Shape.Length, file);
        return (new Zarr3Array(dir, meta, roles, writable), info);
    }

    private EmVolume OpenOme(string path, string root, string dataset, OmeMultiscale ms, string file, VolumeOpenOptions options)
    {
        var roles = ms.Roles(file);
        var levels = new List<VolumeLevel>();
        for (int i = 0; i < ms.Levels.Count; i++)
        {
            var dir = Path.Combine(path, ms.Levels[i].Path);
            if (!Zarr3Hierarchy.IsNode(dir))
                throw new InvalidVolumeException($"'{file}' lists the level '{ms.Levels[i].Path}', but '{dir}' has no zarr.json.", file);
            var (array, _) = OpenArray(dir, options.Writable, roles);
            var mag = ms.MagOf(i, file) ?? (i == 0 ? Mag.One : Pyramids.MagFromShapes(levels[0].Size, (array.Shape[^1], array.Shape[^2], array.Shape[^3]), ms.Levels[i].Path, file));
            levels.Add(new VolumeLevel(mag, array));
        }
        Pyramids.CheckLevels(levels, file);
        return new EmVolume(root, Name, dataset, levels, ms.VoxelSize(0, file), options.Cache, ms.Offset(0, file));
    }

    private EmVolume OpenNamedPyramid(string path, string root, string dataset, VolumeOpenOptions options)
    {
        var arrays = Directory.EnumerateDirectories(path).Where(d => Zarr3Hierarchy.IsNode(d) && Zarr3Hierarchy.IsArray(d)).Select(Path.GetFileName).OfType<string>().Order().ToList();
        var names = Pyramids.FromNames(arrays)
            ?? throw new InvalidVolumeException(arrays.Count == 0
                ? $"'{path}' is a Zarr v3 group without arrays or multiscales metadata: expected an array or an image group."
                : $"'{path}' is a Zarr v3 group without multiscales metadata and its arrays ({string.Join(", ", arrays)}) do not form a pyramid: open one of them, e.g. '{Path.Combine(path, arrays[0])}'.", path);
        var levels = new List<VolumeLevel>();
        SpatialInfo? info0 = null;
        foreach (var (name, namedMag) in names)
        {
            var (array, info) = OpenArray(Path.Combine(path, name), options.Writable, null);
            if (levels.Count == 0) info0 = info;
            var mag = namedMag ?? (levels.Count == 0 ? Mag.One : Pyramids.MagFromShapes(levels[0].Size, (array.Shape[^1], array.Shape[^2], array.Shape[^3]), name, path));
            levels.Add(new VolumeLevel(mag, array));
        }
        Pyramids.CheckLevels(levels, path);
        return new EmVolume(root, Name, dataset, levels, info0?.VoxelSize ?? VoxelSize.Unknown, options.Cache, info0?.Offset);
    }

    private static JsonObject? MultiscalesEntry(JsonObject attrs) =>
        ((attrs["ome"] as JsonObject)?["multiscales"] ?? attrs["multiscales"]) is JsonArray { Count: > 0 } list ? list[0] as JsonObject : null;

    private static double[] ScaleOf(JsonNode dataset, string file) =>
        (dataset["coordinateTransformations"] as JsonArray)?.FirstOrDefault(t => JsonAttributes.String(t?["type"], "type", file) == "scale") is { } s
            ? JsonAttributes.Doubles(s["scale"], "scale", file)!
            : throw new InvalidVolumeException($"'{file}': the first multiscales dataset has no scale; levels cannot be added.", file);

    /// <summary>A new level's transformations: level 0's scale times mag / level-0 mag on the spatial axes, level 0's translation.</summary>
    private static JsonArray LevelTransforms(JsonNode first, AxisRole[] roles, double[] scale0, Mag mag0, Mag mag)
    {
        var scale = roles.Select((r, i) => r == AxisRole.Channel ? scale0[i] : scale0[i] * mag.Factor(r) / mag0.Factor(r)).ToArray();
        var list = new JsonArray { new JsonObject { ["type"] = "scale", ["scale"] = JsonAttributes.Numbers(scale) } };
        if ((first["coordinateTransformations"] as JsonArray)?.FirstOrDefault(t => t?["type"]?.GetValue<string>() == "translation") is { } t)
            list.Add(t.DeepClone());
        return list;
    }
}
