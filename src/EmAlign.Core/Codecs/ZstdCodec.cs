namespace EmAlign.Codecs;

/// <summary>
/// Zstandard chunks: numcodecs "zstd" (a plain zstd frame), Zarr v3 "zstd", N5 "zstd" payloads.
/// Frames written declare their content size, which numcodecs needs to size its output.
/// </summary>
public sealed class ZstdCodec(int level = Zstd.DefaultLevel, bool checksum = false) : IChunkCodec
{
    public string Name => "zstd";

    /// <summary>Compression level 1..22 (0 or less: the default 3).</summary>
    public int Level { get; } = level;

    /// <summary>Whether written frames carry the XXH64 content checksum (Zarr v3 "checksum").</summary>
    public bool Checksum { get; } = checksum;

    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => Zstd.Compress(source, Level, Checksum);

    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => Zstd.Decompress(source, destination);
}
