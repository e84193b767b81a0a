using System.Buffers;
using System.Buffers.Binary;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// numcodecs "lz4": a 4-byte little-endian uncompressed length followed by one raw LZ4 block.
/// (N5's "lz4" is a different, lz4-java framing; WKW uses bare blocks via <see cref="Lz4Block"/>.)
/// </summary>
/// <param name="acceleration">numcodecs' "acceleration" (1 default; higher is faster with a larger output).</param>
public sealed class Lz4Codec(int acceleration = 1) : IChunkCodec
{
    public string Name => "lz4";

    public int Acceleration { get; } = acceleration >= 1
        ? acceleration
        : throw new EmAlignException($"LZ4 acceleration {acceleration} is invalid: expected 1 or more.", "acceleration");

    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize)
    {
        if (source.Length > Lz4Block.MaxInputLength)
            throw new EmAlignException($"lz4 cannot hold {source.Length} bytes in one chunk: expected at most {Lz4Block.MaxInputLength}.", "source");
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4 + Lz4Block.MaxEncodedLength(source.Length));
        try
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer, source.Length);
            int length = Lz4Block.Encode(source, buffer.AsSpan(4), Acceleration);
            return buffer.AsSpan(0, 4 + length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length < 4) throw new CorruptDataException($"lz4 chunk of {source.Length} bytes is truncated: expected a 4-byte size and an LZ4 block.");
        int size = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (size < 0 || size > destination.Length)
            throw new CorruptDataException($"lz4 chunk declares {(uint)size} bytes: expected at most {destination.Length}.");
        int produced = Lz4Block.Decode(source[4..], destination[..size]);
        if (produced != size)
            throw new CorruptDataException($"lz4 chunk decodes to {produced} bytes: its header declares {size}.");
        return size;
    }
}
