using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;

namespace EmAlign.Formats.N5;

/// <summary>N5 "compression" objects (and the legacy "compressionType" strings) to and from codec objects.</summary>
internal static class N5Compression
{
    /// <summary>Compression types this build reads and writes.</summary>
    public static IReadOnlyList<string> Types { get; } = ["raw", "gzip"];

    /// <summary>The codec of a dataset's attributes; null for raw.</summary>
    public static IChunkCodec? FromAttributes(JsonObject attrs, string file)
    {
        var node = attrs["compression"];
        string? type;
        JsonObject? o = null;
        if (node is null) type = JsonAttributes.String(attrs["compressionType"], "compressionType", file) ?? "raw";
        else
        {
            o = node as JsonObject ?? throw new InvalidVolumeException($"'{file}': compression is {node.ToJsonString()}; expected an object with a \"type\".", file);
            type = JsonAttributes.String(o["type"], "compression type", file)
                ?? throw new InvalidVolumeException($"'{file}': compression has no \"type\"; expected one of {string.Join(", ", Types)}.", file);
        }
        int Int(string key, int fallback) => o?[key] is null ? fallback : (int)JsonAttributes.Long(o[key], $"compression {key}", file);
        bool useZlib = o?["useZlib"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        return type switch
        {
            "raw" => null,
            "gzip" => useZlib ? new ZlibCodec(Int("level", -1)) : new GzipCodec(Int("level", -1)),
            "lz4" => throw new InvalidVolumeException(
                $"'{file}': compression 'lz4' (lz4-java LZ4Block streams) is not supported; expected one of {string.Join(", ", Types)}.", file),
            _ => throw new InvalidVolumeException($"'{file}': compression '{type}' is not supported; expected one of {string.Join(", ", Types)}.", file),
        };
    }

    /// <summary>The "compression" object for <paramref name="codec"/> (null: raw).</summary>
    public static JsonObject ToJson(IChunkCodec? codec) => codec switch
    {
        null => new JsonObject { ["type"] = "raw" },
        GzipCodec g => new JsonObject { ["type"] = "gzip", ["level"] = g.Level, ["useZlib"] = false },
        ZlibCodec z => new JsonObject { ["type"] = "gzip", ["level"] = z.Level, ["useZlib"] = true },
        _ => throw new EmAlignException($"Codec '{codec.Name}' cannot be stored in N5: expected none or one of {string.Join(", ", Types.Skip(1))}.", "codec"),
    };
}
