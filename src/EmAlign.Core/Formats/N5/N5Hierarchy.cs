using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Volumes;

namespace EmAlign.Formats.N5;

/// <summary>
/// N5 containers on disk: every folder is a group, attributes.json holds a node's attributes, the root's
/// carries the "n5" version, and a dataset's holds dimensions, blockSize, dataType and compression.
/// </summary>
internal static class N5Hierarchy
{
    public const string AttributesFile = "attributes.json";

    /// <summary>Version written into new containers: the one zarr-python's N5 store writes, readable by every N5 library.</summary>
    public const string Version = "2.0.0";

    public static JsonObject? ReadAttributes(string dir) => JsonAttributes.ReadObject(Path.Combine(dir, AttributesFile));

    public static bool IsDataset(JsonObject? attrs) => JsonAttributes.Has(attrs, "dimensions") && JsonAttributes.Has(attrs, "dataType");

    /// <summary>True when a folder is an N5 node (has attributes.json).</summary>
    public static bool IsNode(string dir) => File.Exists(Path.Combine(dir, AttributesFile));

    /// <summary>The container root of <paramref name="dir"/> (nearest folder, itself included, whose attributes carry "n5"), or null.</summary>
    public static string? FindRoot(string dir)
    {
        for (var p = dir; p is not null; p = Path.GetDirectoryName(p))
        {
            if (!IsNode(p)) continue;
            try
            {
                if (JsonAttributes.Has(ReadAttributes(p), "n5")) return p;
            }
            catch (InvalidVolumeException)
            {
                // A damaged attributes.json above the dataset says nothing about this one.
            }
        }
        return null;
    }

    /// <summary>The container root and the "/"-separated path of <paramref name="dir"/> inside it.</summary>
    public static (string Root, string Dataset) Split(string dir)
    {
        var root = FindRoot(dir) ?? dir;
        var rel = Path.GetRelativePath(root, dir).Replace('\\', '/');
        return (root, rel == "." ? "" : rel);
    }

    /// <summary>Opens the dataset in <paramref name="dir"/> whose attributes are <paramref name="attrs"/>.</summary>
    public static N5Array OpenDataset(string dir, JsonObject attrs, bool writable, IReadOnlyList<AxisRole>? roles)
    {
        var file = Path.Combine(dir, AttributesFile);
        if (JsonAttributes.Has(attrs, "codecs") || JsonAttributes.Has(attrs, "shardSize"))
            throw new InvalidVolumeException($"'{file}' describes a sharded or codec-list N5 dataset (N5 4.x development format); expected classic N5 attributes.", file);
        var dims = JsonAttributes.Longs(attrs["dimensions"], "dimensions", file);
        var block = JsonAttributes.Longs(attrs["blockSize"], "blockSize", file);
        if (block.Length != dims.Length || block.Any(b => b < 1 || b > int.MaxValue) || dims.Any(d => d < 0))
            throw new InvalidVolumeException($"'{file}': dimensions {attrs["dimensions"]!.ToJsonString()} and blockSize {attrs["blockSize"]!.ToJsonString()}; expected lists of equal length, sizes >= 0, block sizes >= 1.", file);
        var typeName = JsonAttributes.String(attrs["dataType"], "dataType", file);
        if (!DataTypes.TryParse(typeName, out var type))
            throw new InvalidVolumeException($"'{file}': dataType '{typeName}' is not supported; expected one of uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64.", file);
        IChunkCodec? codec = N5Compression.FromAttributes(attrs, file);
        return new N5Array(dir, dims, [.. block.Select(b => (int)b)], type, codec, roles, writable);
    }

    /// <summary>The dataset attributes of a new array (C-order <paramref name="shape"/> and <paramref name="chunks"/>, listed reversed as N5 does).</summary>
    public static JsonObject DatasetAttributes(long[] shape, int[] chunks, DataType type, IChunkCodec? codec) => new()
    {
        ["dimensions"] = new JsonArray([.. Enumerable.Reverse(shape).Select(s => (JsonNode)JsonValue.Create(s))]),
        ["blockSize"] = new JsonArray([.. Enumerable.Reverse(chunks).Select(c => (JsonNode)JsonValue.Create(c))]),
        ["dataType"] = type.Name(),
        ["compression"] = N5Compression.ToJson(codec),
    };

    /// <summary>Writes (atomically) a node's attributes.json, creating its folder.</summary>
    public static void WriteAttributes(string dir, JsonObject attrs)
    {
        Directory.CreateDirectory(dir);
        FileStore.WriteAtomic(Path.Combine(dir, AttributesFile), JsonAttributes.ToBytes(attrs));
    }
}
