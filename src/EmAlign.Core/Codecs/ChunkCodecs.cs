using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// Codecs by the names the CLI and cmdlets accept (--codec). "none" is represented by null.
/// Each codec family adds its names here.
/// </summary>
public static class ChunkCodecs
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "zlib", "gzip", "zstd", "lz4", "bz2", "xz", "blosc-lz4", "blosc-lz4hc", "blosc-zlib", "blosc-zstd", "blosc-blosclz"];

    /// <summary>
    /// Creates the codec named <paramref name="name"/> (null for "none"); level null means the codec's
    /// default. For "lz4" the level is numcodecs' acceleration (1 default, higher is faster); the
    /// blosc-* codecs take c-blosc's clevel 0-9 (default 5) and byte-shuffle; "zstd" takes 1-22 (default 3).
    /// </summary>
    public static IChunkCodec? Create(string name, int? level = null) => name.Trim().ToLowerInvariant() switch
    {
        "none" or "raw" => null,
        "zlib" => new ZlibCodec(level ?? -1),
        "gzip" => new GzipCodec(level ?? -1),
        "zstd" => new ZstdCodec(level ?? Zstd.DefaultLevel),
        "bz2" or "bzip2" => new Bzip2Codec(level ?? 9),
        "xz" or "lzma" => new XzCodec(level ?? 6),
        "lz4" => new Lz4Codec(level ?? 1),
        "blosc-lz4" => new BloscCodec("lz4", level ?? 5),
        "blosc-lz4hc" => new BloscCodec("lz4hc", level ?? 5),
        "blosc-zlib" => new BloscCodec("zlib", level ?? 5),
        "blosc-zstd" => new BloscCodec("zstd", level ?? 5),
        "blosc-blosclz" => new BloscCodec("blosclz", level ?? 5),
        _ => throw new EmAlignException($"Unknown codec '{name}': expected one of {string.Join(", ", Names)}.", "codec"),
    };
}
