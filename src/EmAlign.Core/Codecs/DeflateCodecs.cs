using System.IO.Compression;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>zlib (RFC 1950) streams: numcodecs "zlib", Zarr v3 has none, TIFF Deflate (compression 8/32946).</summary>
public sealed class ZlibCodec(int level = -1) : IChunkCodec
{
    public string Name => "zlib";
    public int Level { get; } = level;
    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => DeflateFamily.Encode(source, Level, s => new ZLibStream(s, DeflateFamily.Compression(Level)));
    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => DeflateFamily.Decode(source, destination, s => new ZLibStream(s, CompressionMode.Decompress), Name);
}

/// <summary>gzip members (RFC 1952): numcodecs "gzip", N5 "gzip" (N5 also accepts a bare zlib stream there).</summary>
public sealed class GzipCodec(int level = -1) : IChunkCodec
{
    public string Name => "gzip";
    public int Level { get; } = level;
    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => DeflateFamily.Encode(source, Level, s => new GZipStream(s, DeflateFamily.Compression(Level)));
    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => DeflateFamily.Decode(source, destination, s => new GZipStream(s, CompressionMode.Decompress), Name);
}

/// <summary>Raw deflate (RFC 1951) without a wrapper.</summary>
public sealed class DeflateCodec(int level = -1) : IChunkCodec
{
    public string Name => "deflate";
    public int Level { get; } = level;
    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize) => DeflateFamily.Encode(source, Level, s => new DeflateStream(s, DeflateFamily.Compression(Level)));
    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => DeflateFamily.Decode(source, destination, s => new DeflateStream(s, CompressionMode.Decompress), Name);
}

internal static class DeflateFamily
{
    /// <summary>Maps zlib levels 0-9 (-1 default) onto .NET's four compression levels.</summary>
    public static CompressionLevel Compression(int level) => level switch
    {
        0 => CompressionLevel.NoCompression,
        1 or 2 or 3 => CompressionLevel.Fastest,
        >= 8 => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Optimal,
    };

    public static byte[] Encode(ReadOnlySpan<byte> source, int level, Func<Stream, Stream> wrap)
    {
        var ms = new MemoryStream(source.Length / 2 + 64);
        using (var z = wrap(ms)) z.Write(source);
        return ms.ToArray();
    }

    public static unsafe int Decode(ReadOnlySpan<byte> source, Span<byte> destination, Func<Stream, Stream> wrap, string name)
    {
        try
        {
            fixed (byte* p = source)
            {
                using var input = new UnmanagedMemoryStream(p, source.Length);
                using var z = wrap(input);
                int total = 0;
                while (total < destination.Length)
                {
                    int n = z.Read(destination[total..]);
                    if (n == 0) return total;
                    total += n;
                }
                // Anything beyond the declared size is a damaged or hostile stream (decompression bomb).
                Span<byte> probe = stackalloc byte[1];
                if (z.Read(probe) > 0)
                    throw new CorruptDataException($"{name} stream decodes to more than the expected {destination.Length} bytes.");
                return total;
            }
        }
        catch (InvalidDataException e)
        {
            throw new CorruptDataException($"{name} stream is corrupt: {e.Message}", null, e);
        }
    }
}
