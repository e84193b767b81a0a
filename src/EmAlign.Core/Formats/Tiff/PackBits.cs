namespace EmAlign.Formats.Tiff;

/// <summary>PackBits run-length decoding (TIFF Compression 32773, Apple's byte-oriented RLE).</summary>
internal static class PackBits
{
    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> and returns the bytes produced
    /// (less than the destination when the stream ends early; output beyond the destination is dropped).
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int i = 0, o = 0;
        while (i < source.Length && o < destination.Length)
        {
            int n = (sbyte)source[i++];
            if (n >= 0)
            {
                // Literal run of n + 1 bytes.
                int count = Math.Min(Math.Min(n + 1, source.Length - i), destination.Length - o);
                source.Slice(i, count).CopyTo(destination[o..]);
                i += n + 1;
                o += count;
            }
            else if (n != -128)
            {
                // The next byte repeated 1 - n times; -128 is a no-op.
                if (i >= source.Length) break;
                int count = Math.Min(1 - n, destination.Length - o);
                destination.Slice(o, count).Fill(source[i++]);
                o += count;
            }
        }
        return o;
    }
}
