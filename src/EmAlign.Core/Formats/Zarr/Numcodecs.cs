using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// Zarr v2 "compressor" configurations (numcodecs ids and constructor arguments) to and from codec objects.
/// Written configurations carry exactly numcodecs' constructor arguments, which older numcodecs requires.
/// </summary>
internal static class Numcodecs
{
    /// <summary>Compressor ids this build reads and writes.</summary>
    public static IReadOnlyList<string> Ids { get; } = ["zlib", "gzip", "blosc", "zstd", "lz4", "bz2", "lzma"];

    /// <summary>The codec a .zarray "compressor" value describes; null for no compression.</summary>
    public static IChunkCodec? FromJson(JsonNode? config, string file)
    {
        if (config is null) return null;
        if (config is not JsonObject o || JsonAttributes.String(o["id"], "compressor id", file) is not { } id)
            throw new InvalidVolumeException($"'{file}': compressor is {config.ToJsonString()}; expected null or an object with an \"id\".", file);
        int Int(string key, int fallback) => o[key] is null ? fallback : (int)JsonAttributes.Long(o[key], $"compressor {key}", file);
        try
        {
            return id switch
            {
                "zlib" => new ZlibCodec(Int("level", 1)),
                "gzip" => new GzipCodec(Int("level", 1)),
                "blosc" => new BloscCodec(JsonAttributes.String(o["cname"], "compressor cname", file) ?? "lz4", Int("clevel", 5), Int("shuffle", 1), Int("blocksize", 0)),
                "lz4" => new Lz4Codec(Int("acceleration", 1)),
                "zstd" => new ZstdCodec(Int("level", 1)),
                "bz2" => new Bzip2Codec(Int("level", 1)),
                // format 1 is the xz container; the stream names its own filters and check.
                "lzma" when Int("format", 1) == 1 => new XzCodec(Int("preset", 6)),
                "lzma" => throw new InvalidVolumeException(
                    $"'{file}': lzma compressor with format {o["format"]!.ToJsonString()} is not supported; expected format 1 (xz).", file),
                _ => throw new InvalidVolumeException(
                    $"'{file}': compressor '{id}' is not supported; expected null or one of {string.Join(", ", Ids)}.", file),
            };
        }
        catch (EmAlignException e) when (e is not InvalidVolumeException)
        {
            // A codec refusing its parameters (an unknown blosc cname, a level out of range).
            throw new InvalidVolumeException($"'{file}': compressor {config.ToJsonString()} is invalid: {e.Message}", file, e);
        }
    }

    /// <summary>The .zarray "compressor" value for <paramref name="codec"/> (null for none).</summary>
    public static JsonNode? ToJson(IChunkCodec? codec) => codec switch
    {
        null => null,
        ZlibCodec z => new JsonObject { ["id"] = "zlib", ["level"] = DeflateLevel(z.Level) },
        GzipCodec g => new JsonObject { ["id"] = "gzip", ["level"] = DeflateLevel(g.Level) },
        BloscCodec b => new JsonObject { ["id"] = "blosc", ["cname"] = b.Cname, ["clevel"] = b.Clevel, ["shuffle"] = b.Shuffle, ["blocksize"] = b.Blocksize },
        Lz4Codec l => new JsonObject { ["id"] = "lz4", ["acceleration"] = l.Acceleration },
        ZstdCodec zs => new JsonObject { ["id"] = "zstd", ["level"] = zs.Level },
        Bzip2Codec bz => new JsonObject { ["id"] = "bz2", ["level"] = bz.Level },
        XzCodec x => new JsonObject { ["id"] = "lzma", ["format"] = 1, ["check"] = -1, ["preset"] = x.Preset, ["filters"] = null },
        _ => throw new EmAlignException($"Codec '{codec.Name}' cannot be stored in Zarr v2: expected none or one of {string.Join(", ", Ids)}.", "codec"),
    };

    /// <summary>zlib's "default" (-1) written as the level it stands for, so Python tools see 0-9.</summary>
    private static int DeflateLevel(int level) => level < 0 ? 6 : level;
}
