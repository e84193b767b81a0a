namespace EmAlign.Codecs;

/// <summary>
/// bzip2 streams: numcodecs "bz2" (Zarr v2) and N5 "bzip2". <see cref="Level"/> 1 to 9 is the block
/// size in units of 100 000 bytes (numcodecs writes 1, the N5 library and the bzip2 tool 9).
/// Decoding accepts concatenated streams and old randomised blocks and verifies every CRC.
/// </summary>
public sealed class Bzip2Codec : IChunkCodec
{
    public Bzip2Codec(int level = 9)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 9);
        Level = level;
    }

    public string Name => "bz2";

    /// <summary>Block size in units of 100 000 bytes, 1 to 9.</summary>
    public int Level { get; }

    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => Bzip2Encoder.Encode(source, Level);

    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => Bzip2Decoder.Decode(source, destination);
}
