using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;

namespace EmAlign.Formats.N5;

/// <summary>N5 "compression" objects (and the legacy "compressionType" strings) to and from codec objects.</summary>
internal static class N5Compression
{
    /// <summary>Compression types this build reads and writes.</summary>
    public static IReadOnlyList<string> Types { get; } = ["raw", "gzip", "bzip2", "xz", "blosc", "zstd"];

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
        try
        {
            return type switch
            {
                "raw" => null,
                "gzip" => useZlib ? new ZlibCodec(Int("level", -1)) : new GzipCodec(Int("level", -1)),
                "bzip2" => new Bzip2Codec(Int("blockSize", 9)),
                "xz" => new XzCodec(Int("preset", 6)),
                // zarr-python writes non-default lzma settings as type "lzma"; format 1 is still an xz container.
                "lzma" when Int("format", 1) == 1 => new XzCodec(Int("preset", 6)),
                // n5-blosc's defaults, not numcodecs'.
                "blosc" => new BloscCodec(JsonAttributes.String(o?["cname"], "compression cname", file) ?? "blosclz", Int("clevel", 6), Int("shuffle", 0), Int("blocksize", 0)),
                // n5-zstandard: one or more standard frames; its other keys only tune the encoder.
                "zstd" => new ZstdCodec(Int("level", 3)),
                "lz4" => throw new InvalidVolumeException(
                    $"'{file}': compression 'lz4' (lz4-java LZ4Block streams) is not supported; expected one of {string.Join(", ", Types)}.", file),
                _ => throw new InvalidVolumeException($"'{file}': compression '{type}' is not supported; expected one of {string.Join(", ", Types)}.", file),
            };
        }
        catch (EmAlignException e) when (e is not InvalidVolumeException)
        {
            throw new InvalidVolumeException($"'{file}': compression {node?.ToJsonString() ?? type} is invalid: {e.Message}", file, e);
        }
    }

    /// <summary>The "compression" object for <paramref name="codec"/> (null: raw).</summary>
    public static JsonObject ToJson(IChunkCodec? codec) => codec switch
    {
        null => new JsonObject { ["type"] = "raw" },
        GzipCodec g => new JsonObject { ["type"] = "gzip", ["level"] = g.Level, ["useZlib"] = false },
        ZlibCodec z => new JsonObject { ["type"] = "gzip", ["level"] = z.Level, ["useZlib"] = true },
        Bzip2Codec bz => new JsonObject { ["type"] = "bzip2", ["blockSize"] = bz.Level },
        XzCodec x => new JsonObject { ["type"] = "xz", ["preset"] = x.Preset },
        ZstdCodec zs => new JsonObject { ["type"] = "zstd", ["level"] = zs.Level },
        BloscCodec b => new JsonObject { ["type"] = "blosc", ["cname"] = b.Cname, ["clevel"] = b.Clevel, ["shuffle"] = b.Shuffle, ["blocksize"] = b.Blocksize, ["nthreads"] = 1 },
        Lz4Codec => throw new EmAlignException(
            "Codec 'lz4' cannot be stored in N5: N5's lz4 is lz4-java's LZ4Block stream, not numcodecs' framing; use gzip, bz2, xz or a blosc codec.", "codec"),
        _ => throw new EmAlignException($"Codec '{codec.Name}' cannot be stored in N5: expected none or one of {string.Join(", ", Types.Skip(1))}.", "codec"),
    };
}
