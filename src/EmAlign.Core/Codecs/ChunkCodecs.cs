using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// Codecs by the names the CLI and cmdlets accept (--codec). "none" is represented by null.
/// Each codec family adds its names here.
/// </summary>
public static class ChunkCodecs
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "zlib", "gzip", "bz2", "xz"];

    /// <summary>Creates the codec named <paramref name="name"/> (null for "none"); level null means the codec's default.</summary>
    public static IChunkCodec? Create(string name, int? level = null) => name.Trim().ToLowerInvariant() switch
    {
        "none" or "raw" => null,
        "zlib" => new ZlibCodec(level ?? -1),
        "gzip" => new GzipCodec(level ?? -1),
        "bz2" or "bzip2" => new Bzip2Codec(level ?? 9),
        "xz" or "lzma" => new XzCodec(level ?? 6),
        _ => throw new EmAlignException($"Unknown codec '{name}': expected one of {string.Join(", ", Names)}.", "codec"),
    };
}
