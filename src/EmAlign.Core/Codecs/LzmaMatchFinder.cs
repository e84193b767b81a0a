using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace EmAlign.Codecs;

/// <summary>
/// Hash-chain match finder over the whole input (which is in memory): a chain of earlier positions
/// with the same 4-byte hash, walked newest first up to a depth limit, plus the latest position for
/// each 3-byte hash so that short near matches are not missed. Memory: the chain is a ring of
/// min(dictionary, input) entries rounded up to a power of two, with about as many 4-byte buckets
/// (at most 2^23), which keeps chains mostly free of hash collisions.
/// </summary>
internal sealed class LzmaMatchFinder : IDisposable
{
    private readonly int[] _head4, _head3, _chain;
    private readonly int _hash4Bits, _hash3Bits, _chainMask, _maxDistance, _depth;

    public LzmaMatchFinder(int inputLength, int dictionarySize, int depth)
    {
        uint chainSize = Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(inputLength, 16)),
                                  BitOperations.RoundUpToPowerOf2((uint)Math.Max(dictionarySize, 16)));
        _chainMask = (int)chainSize - 1;
        // A ring slot is overwritten chainSize positions later, so longer distances cannot be trusted.
        _maxDistance = (int)Math.Min(dictionarySize, chainSize);
        _depth = depth;
        _hash4Bits = Math.Clamp(BitOperations.Log2(chainSize), 10, 23);
        _hash3Bits = Math.Clamp(BitOperations.Log2(chainSize) - 1, 8, 16);
        _head4 = ArrayPool<int>.Shared.Rent(1 << _hash4Bits);
        _head3 = ArrayPool<int>.Shared.Rent(1 << _hash3Bits);
        _chain = ArrayPool<int>.Shared.Rent((int)chainSize);
        _head4.AsSpan(0, 1 << _hash4Bits).Fill(-1);
        _head3.AsSpan(0, 1 << _hash3Bits).Fill(-1);
    }

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_head4);
        ArrayPool<int>.Shared.Return(_head3);
        ArrayPool<int>.Shared.Return(_chain);
    }

    private int Hash4(uint v) => (int)((v * 2654435761u) >> (32 - _hash4Bits));

    private int Hash3(uint v) => (int)(((v & 0xFFFFFF) * 2246822519u) >> (32 - _hash3Bits));

    /// <summary>
    /// Finds the longest match (at least 3 bytes, at most <paramref name="maxLen"/>) for position
    /// <paramref name="pos"/> among earlier positions, then records <paramref name="pos"/>.
    /// Returns the length (0 when none) and the distance minus one in <paramref name="dist"/>.
    /// </summary>
    public int FindAndInsert(ReadOnlySpan<byte> data, int pos, int maxLen, int niceLen, out uint dist)
    {
        dist = 0;
        if (data.Length - pos < 4)
            return 0;
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
        int h4 = Hash4(v), h3 = Hash3(v);
        int best = 2; // shorter matches are left to literals and repeats
        if (maxLen >= 3)
        {
            var cur = data.Slice(pos, maxLen);
            int limit = Math.Min(niceLen, maxLen);
            int c = _head3[h3];
            if (c >= 0 && pos - c <= _maxDistance)
            {
                int len = cur.CommonPrefixLength(data.Slice(c, maxLen));
                if (len > best)
                {
                    best = len;
                    dist = (uint)(pos - c - 1);
                }
            }
            c = _head4[h4];
            for (int depth = _depth; c >= 0 && depth > 0 && best < limit; depth--)
            {
                int d = pos - c;
                if (d > _maxDistance) break;
                // Reject hash collisions and candidates that cannot beat the best before comparing in full.
                if (data[c + best] == cur[best] && BinaryPrimitives.ReadUInt32LittleEndian(data[c..]) == v)
                {
                    int len = cur.CommonPrefixLength(data.Slice(c, maxLen));
                    if (len > best)
                    {
                        best = len;
                        dist = (uint)(d - 1);
                    }
                }
                c = _chain[c & _chainMask];
            }
        }
        Insert(pos, h4, h3);
        return best > 2 ? best : 0;
    }

    /// <summary>Records <paramref name="pos"/> without searching (positions inside an emitted match).</summary>
    public void Insert(ReadOnlySpan<byte> data, int pos)
    {
        if (data.Length - pos < 4) return;
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
        Insert(pos, Hash4(v), Hash3(v));
    }

    private void Insert(int pos, int h4, int h3)
    {
        _chain[pos & _chainMask] = _head4[h4];
        _head4[h4] = pos;
        _head3[h3] = pos;
    }
}
