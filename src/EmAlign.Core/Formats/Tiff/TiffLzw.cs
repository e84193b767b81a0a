using EmAlign.Diagnostics;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// TIFF LZW (Compression 5) decoding: codes packed MSB-first, 256 = Clear, 257 = End of Information,
/// 9 to 12 bit codes with libtiff's "early change" (the width grows when the next free code reaches 511, 1023, 2047).
/// </summary>
internal static class TiffLzw
{
    private const int Clear = 256, EndOfInformation = 257, FirstFree = 258, MaxCodes = 4096;

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> and returns the bytes produced.
    /// Like libtiff, output beyond the destination is dropped (the caller knows the decoded size);
    /// a short result means the stream ended early.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // Old-style (LSB-first) LZW from very old writers never starts with a Clear code (first byte 0x80).
        if (source.Length >= 2 && source[0] == 0 && (source[1] & 1) != 0)
            throw new CorruptDataException("LZW strip uses the pre-TIFF-6 bit order (old-style LZW), which is not supported.");

        // Every string in the table is a run of earlier output, so an entry is just (start, length) in the destination.
        Span<int> starts = stackalloc int[MaxCodes];
        Span<int> lengths = stackalloc int[MaxCodes];
        ulong bits = 0;
        int bitCount = 0, pos = 0, width = 9, next = FirstFree, prevStart = -1, prevLength = 0, outPos = 0;
        int outLength = destination.Length;
        while (outPos < outLength)
        {
            while (bitCount <= 56 && pos < source.Length)
            {
                bits |= (ulong)source[pos++] << (56 - bitCount);
                bitCount += 8;
            }
            if (bitCount < width) break;
            int code = (int)(bits >> (64 - width));
            bits <<= width;
            bitCount -= width;

            if (code == Clear)
            {
                width = 9;
                next = FirstFree;
                prevStart = -1;
                continue;
            }
            if (code == EndOfInformation) break;

            int start = outPos, length;
            if (code < Clear)
            {
                destination[outPos] = (byte)code;
                length = 1;
            }
            else if (prevStart < 0)
            {
                throw new CorruptDataException($"LZW stream is corrupt: code {code} follows a Clear code; expected a literal (0-255).");
            }
            else if (code < next)
            {
                length = lengths[code];
                int n = Math.Min(length, outLength - outPos);
                destination.Slice(starts[code], n).CopyTo(destination[outPos..]);
            }
            else if (code == next)
            {
                // The code being defined right now: previous string plus its own first byte.
                length = prevLength + 1;
                int n = Math.Min(prevLength, outLength - outPos);
                destination.Slice(prevStart, n).CopyTo(destination[outPos..]);
                if (outPos + prevLength < outLength) destination[outPos + prevLength] = destination[prevStart];
            }
            else
            {
                throw new CorruptDataException($"LZW stream is corrupt: code {code} is beyond the next free code {next}.");
            }

            if (prevStart >= 0 && next < MaxCodes)
            {
                starts[next] = prevStart;
                lengths[next] = prevLength + 1;
                next++;
                if (next == 511) width = 10;
                else if (next == 1023) width = 11;
                else if (next == 2047) width = 12;
            }
            prevStart = start;
            prevLength = length;
            outPos += length;
        }
        return Math.Min(outPos, outLength);
    }
}
