using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr3;

/// <summary>
/// A Zarr v3 chunk key encoding: "default" keys are "c" followed by the grid indices ("c/1/2/3"), "v2" keys
/// the indices alone ("1.2.3"); indices are in stored axis order. A 0-d array's key is "c" or "0".
/// </summary>
internal sealed record ChunkKeyEncoding(bool DefaultPrefix, char Separator)
{
    /// <summary>What zarr-python 3 and WEBKNOSSOS write: "default" with "/".</summary>
    public static ChunkKeyEncoding Default { get; } = new(true, '/');

    public string Key(ReadOnlySpan<long> storedIndex)
    {
        var sb = new StringBuilder(4 + 6 * storedIndex.Length);
        if (DefaultPrefix) sb.Append('c');
        for (int i = 0; i < storedIndex.Length; i++)
        {
            if (DefaultPrefix || i > 0) sb.Append(Separator);
            sb.Append(storedIndex[i].ToString(CultureInfo.InvariantCulture));
        }
        if (sb.Length == 0) sb.Append('0');
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["name"] = DefaultPrefix ? "default" : "v2",
        ["configuration"] = new JsonObject { ["separator"] = Separator.ToString() },
    };

    public static ChunkKeyEncoding Parse(JsonNode? node, string file)
    {
        var (name, config) = Zarr3Json.Extension(node, "chunk_key_encoding", file);
        var sep = JsonAttributes.String(config?["separator"], "chunk_key_encoding separator", file);
        switch (name)
        {
            case "default":
                sep ??= "/";
                break;
            case "v2":
                sep ??= ".";
                break;
            default:
                throw new InvalidVolumeException($"'{file}': chunk_key_encoding '{name}' is not supported; expected \"default\" or \"v2\".", file);
        }
        if (sep is not ("/" or "."))
            throw new InvalidVolumeException($"'{file}': chunk_key_encoding separator is \"{sep}\"; expected \"/\" or \".\".", file);
        return new ChunkKeyEncoding(name == "default", sep[0]);
    }
}

/// <summary>
/// The contents of a Zarr v3 array's zarr.json. Shape, chunk shape and dimension names are in stored order
/// (slowest first as the array is indexed; the codecs decide the byte order inside a chunk).
/// </summary>
internal sealed record Zarr3ArrayMetadata(
    long[] Shape, DataType DataType, int[] ChunkShape, ChunkKeyEncoding KeyEncoding, double FillValue,
    JsonArray Codecs, string?[]? DimensionNames, JsonObject? Attributes)
{
    private static readonly HashSet<string> s_arrayKeys =
    [
        "zarr_format", "node_type", "shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value",
        "codecs", "attributes", "dimension_names", "storage_transformers",
    ];

    /// <summary>Parses an array's zarr.json object (already known to say node_type "array").</summary>
    public static Zarr3ArrayMetadata Parse(JsonObject o, string file)
    {
        Zarr3Json.CheckKeys(o, s_arrayKeys, file);
        var shape = JsonAttributes.Longs(o["shape"], "shape", file);
        if (shape.Any(s => s < 0))
            throw new InvalidVolumeException($"'{file}': shape {o["shape"]!.ToJsonString()}; expected sizes >= 0.", file);

        var (typeName, _) = Zarr3Json.Extension(o["data_type"], "data_type", file);
        if (!DataTypes.TryParse(typeName, out var type) || typeName is "float" or "double" or "u1" or "u2" or "u4" or "u8" or "i1" or "i2" or "i4" or "i8" or "f4" or "f8")
            throw new InvalidVolumeException(
                $"'{file}': data_type '{typeName}' is not supported; expected one of uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64.", file);

        var (gridName, gridConfig) = Zarr3Json.Extension(o["chunk_grid"], "chunk_grid", file);
        if (gridName != "regular")
            throw new InvalidVolumeException($"'{file}': chunk_grid '{gridName}' is not supported; expected \"regular\".", file);
        var chunks = JsonAttributes.Longs(gridConfig?["chunk_shape"], "chunk_grid chunk_shape", file);
        if (chunks.Length != shape.Length || chunks.Any(c => c < 1 || c > int.MaxValue))
            throw new InvalidVolumeException(
                $"'{file}': chunk_shape {gridConfig?["chunk_shape"]?.ToJsonString()} does not fit shape {o["shape"]!.ToJsonString()}; expected {shape.Length} sizes >= 1.", file);

        var keys = ChunkKeyEncoding.Parse(o["chunk_key_encoding"], file);
        if (!o.ContainsKey("fill_value"))
            throw new InvalidVolumeException($"'{file}' has no fill_value; Zarr v3 arrays must state one.", file);
        var fill = ParseFill(o["fill_value"], type, file);

        if (o["codecs"] is not JsonArray { Count: > 0 } codecs)
            throw new InvalidVolumeException($"'{file}': codecs is {o["codecs"]?.ToJsonString() ?? "missing"}; expected a non-empty list.", file);

        if (o["storage_transformers"] is JsonArray { Count: > 0 } st)
            throw new InvalidVolumeException($"'{file}': storage_transformers {st.ToJsonString()} are not supported; expected none.", file);

        string?[]? names = null;
        if (o["dimension_names"] is JsonArray dn)
        {
            if (dn.Count != shape.Length)
                throw new InvalidVolumeException($"'{file}': dimension_names has {dn.Count} entries for {shape.Length} dimensions.", file);
            names = [.. dn.Select((n, i) => JsonAttributes.String(n, $"dimension_names[{i}]", file))];
        }
        else if (o["dimension_names"] is { } bad)
            throw new InvalidVolumeException($"'{file}': dimension_names is {bad.ToJsonString()}; expected a list of strings or nulls.", file);

        return new Zarr3ArrayMetadata(shape, type, [.. chunks.Select(c => (int)c)], keys, fill, (JsonArray)codecs.DeepClone(), names,
            o["attributes"] as JsonObject);
    }

    /// <summary>The zarr.json document (keys in the order zarr-python writes them).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["zarr_format"] = 3,
            ["node_type"] = "array",
            ["shape"] = new JsonArray([.. Shape.Select(s => (JsonNode)JsonValue.Create(s))]),
            ["data_type"] = DataType.Name(),
            ["chunk_grid"] = new JsonObject
            {
                ["name"] = "regular",
                ["configuration"] = new JsonObject { ["chunk_shape"] = new JsonArray([.. ChunkShape.Select(c => (JsonNode)JsonValue.Create(c))]) },
            },
            ["chunk_key_encoding"] = KeyEncoding.ToJson(),
            ["fill_value"] = ZarrArrayMetadata.FillJson(FillValue, DataType),
            ["codecs"] = Codecs.DeepClone(),
            ["attributes"] = Attributes?.DeepClone() ?? new JsonObject(),
        };
        if (DimensionNames is not null) o["dimension_names"] = new JsonArray([.. DimensionNames.Select(n => n is null ? null : (JsonNode)JsonValue.Create(n))]);
        return o;
    }

    /// <summary>Fill values as Zarr v3 writes them: numbers, "NaN"/"Infinity"/"-Infinity", or "0x..." raw bits of a float.</summary>
    private static double ParseFill(JsonNode? node, DataType type, string file)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s) && s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && type.IsFloat())
        {
            if (!ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
                throw new InvalidVolumeException($"'{file}': fill_value \"{s}\" is not a hexadecimal bit pattern.", file);
            return type == DataType.Float32 ? BitConverter.Int32BitsToSingle(unchecked((int)(uint)bits)) : BitConverter.Int64BitsToDouble(unchecked((long)bits));
        }
        if (node is null) throw new InvalidVolumeException($"'{file}': fill_value is null; Zarr v3 arrays must state a fill value.", file);
        return ZarrArrayMetadata.ParseFill(node, type, file);
    }
}

/// <summary>JSON conventions of Zarr v3 metadata: extension points and the must_understand rule.</summary>
internal static class Zarr3Json
{
    public const string NodeFile = "zarr.json";

    /// <summary>An extension point: {"name": ..., "configuration": {...}} or (since v3.1) a bare name.</summary>
    public static (string Name, JsonObject? Config) Extension(JsonNode? node, string what, string file)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var bare)) return (bare, null);
        if (node is JsonObject o && JsonAttributes.String(o["name"], what + " name", file) is { } name)
        {
            if (o["configuration"] is { } c and not JsonObject)
                throw new InvalidVolumeException($"'{file}': {what} '{name}' has configuration {c.ToJsonString()}; expected an object.", file);
            return (name, o["configuration"] as JsonObject);
        }
        throw new InvalidVolumeException($"'{file}': {what} is {node?.ToJsonString() ?? "missing"}; expected a name or an object with \"name\".", file);
    }

    /// <summary>Rejects unknown top-level keys unless they are objects marked "must_understand": false.</summary>
    public static void CheckKeys(JsonObject o, HashSet<string> known, string file)
    {
        foreach (var (key, value) in o)
        {
            if (known.Contains(key)) continue;
            if (value is JsonObject ext && ext["must_understand"] is JsonValue mu && mu.TryGetValue<bool>(out var must) && !must) continue;
            throw new InvalidVolumeException($"'{file}' has the key \"{key}\", which this reader does not understand; expected only the Zarr v3 keys (or extensions with \"must_understand\": false).", file);
        }
    }

    /// <summary>Reads a node's zarr.json; null when absent. Checks zarr_format 3 and returns the node type.</summary>
    public static (JsonObject Doc, string NodeType)? ReadNode(string dir)
    {
        var file = Path.Combine(dir, NodeFile);
        var o = JsonAttributes.ReadObject(file);
        if (o is null) return null;
        if (JsonAttributes.Long(o["zarr_format"], "zarr_format", file) != 3)
            throw new InvalidVolumeException($"'{file}': zarr_format is {o["zarr_format"]?.ToJsonString()}; expected 3.", file);
        var type = JsonAttributes.String(o["node_type"], "node_type", file);
        if (type is not ("array" or "group"))
            throw new InvalidVolumeException($"'{file}': node_type is {o["node_type"]?.ToJsonString() ?? "missing"}; expected \"array\" or \"group\".", file);
        return (o, type);
    }
}
