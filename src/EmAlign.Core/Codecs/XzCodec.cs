namespace EmAlign.Codecs;

/// <summary>
/// .xz streams with the LZMA2 filter: N5 "xz" and numcodecs "lzma" in its default format (xz, CRC-64).
/// <see cref="Preset"/> 0 to 9 trades speed for ratio as xz's presets do (dictionary 256 KiB to 64 MiB,
/// deeper match search); the dictionary declared is never larger than the input needs.
/// Decoding accepts concatenated streams, several blocks, the delta filter before LZMA2, and verifies
/// CRC-32, CRC-64 and SHA-256 checks.
/// </summary>
public sealed class XzCodec : IChunkCodec
{
    public XzCodec(int preset = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(preset, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(preset, 9);
        Preset = preset;
    }

    public string Name => "xz";

    /// <summary>Compression preset, 0 (fastest) to 9.</summary>
    public int Preset { get; }

    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => XzEncoder.Encode(source, Preset);

    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => XzDecoder.Decode(source, destination);
}
