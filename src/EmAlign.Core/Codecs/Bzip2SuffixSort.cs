using System.Buffers;

namespace EmAlign.Codecs;

/// <summary>
/// Sorts the cyclic rotations of a bzip2 block (the Burrows-Wheeler transform's matrix) by building
/// the suffix array of the block written twice plus a sentinel, with SA-IS (induced sorting, linear
/// time, so repetitive EM backgrounds cost no more than noise). Rotation i equals the first n symbols
/// of suffix i of the doubled text, so suffixes starting in the first copy come out in rotation
/// order; rotations that are exactly equal may come out in any order, which the format allows.
/// </summary>
internal static class Bzip2SuffixSort
{
    /// <summary>Writes into <paramref name="order"/>[row] the start index of the row-th smallest rotation.</summary>
    public static void SortRotations(ReadOnlySpan<byte> block, Span<int> order)
    {
        int n = block.Length, total = 2 * n + 1;
        int[] text = ArrayPool<int>.Shared.Rent(total);
        int[] sa = ArrayPool<int>.Shared.Rent(total);
        try
        {
            for (int i = 0; i < n; i++) text[i] = text[i + n] = block[i] + 1;
            text[2 * n] = 0;
            Sais(text.AsSpan(0, total), sa.AsSpan(0, total), 257);
            int row = 0;
            for (int i = 0; i < total; i++)
                if (sa[i] < n) order[row++] = sa[i];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(text);
            ArrayPool<int>.Shared.Return(sa);
        }
    }

    /// <summary>
    /// Suffix array of <paramref name="s"/>, whose last symbol is a unique smallest 0 and whose
    /// other symbols lie in [1, alphabet).
    /// </summary>
    private static void Sais(ReadOnlySpan<int> s, Span<int> sa, int alphabet)
    {
        int n = s.Length;
        byte[] typeArray = ArrayPool<byte>.Shared.Rent(n);
        int[] countArray = ArrayPool<int>.Shared.Rent(alphabet);
        int[] bucketArray = ArrayPool<int>.Shared.Rent(alphabet);
        try
        {
            // 1 = S-type (smaller than the suffix after it), 0 = L-type.
            var t = typeArray.AsSpan(0, n);
            t[n - 1] = 1;
            for (int i = n - 2; i >= 0; i--)
                t[i] = (byte)(s[i] < s[i + 1] || (s[i] == s[i + 1] && t[i + 1] == 1) ? 1 : 0);
            var counts = countArray.AsSpan(0, alphabet);
            var bkt = bucketArray.AsSpan(0, alphabet);
            counts.Clear();
            foreach (int c in s) counts[c]++;

            // Stage 1: sort the LMS substrings by one induced pass from their bucket ends.
            BucketEnds(counts, bkt);
            sa.Fill(-1);
            for (int i = 1; i < n; i++)
                if (t[i] == 1 && t[i - 1] == 0) sa[--bkt[s[i]]] = i;
            InduceL(s, sa, t, counts, bkt);
            InduceS(s, sa, t, counts, bkt);

            int n1 = 0;
            for (int i = 0; i < n; i++)
            {
                int p = sa[i];
                if (p > 0 && t[p] == 1 && t[p - 1] == 0) sa[n1++] = p;
            }

            // Name the sorted LMS substrings; equal substrings share a name.
            sa[n1..].Fill(-1);
            int name = 0, prev = -1;
            for (int i = 0; i < n1; i++)
            {
                int pos = sa[i];
                bool differs = false;
                for (int d = 0; ; d++)
                {
                    if (prev == -1 || s[pos + d] != s[prev + d] || t[pos + d] != t[prev + d])
                    {
                        differs = true;
                        break;
                    }
                    if (d > 0 && (IsLms(t, pos + d) || IsLms(t, prev + d))) break;
                }
                if (differs)
                {
                    name++;
                    prev = pos;
                }
                sa[n1 + (pos >> 1)] = name - 1;
            }
            for (int i = n - 1, j = n - 1; i >= n1; i--)
                if (sa[i] >= 0) sa[j--] = sa[i];

            // Stage 2: order the LMS suffixes, recursing while names repeat.
            var s1 = sa[(n - n1)..];
            var sa1 = sa[..n1];
            if (name < n1) Sais(s1, sa1, name);
            else
                for (int i = 0; i < n1; i++) sa1[s1[i]] = i;

            // Stage 3: place the sorted LMS suffixes at their bucket ends and induce the rest.
            for (int i = 1, j = 0; i < n; i++)
                if (t[i] == 1 && t[i - 1] == 0) s1[j++] = i;
            for (int i = 0; i < n1; i++) sa1[i] = s1[sa1[i]];
            sa[n1..].Fill(-1);
            BucketEnds(counts, bkt);
            for (int i = n1 - 1; i >= 0; i--)
            {
                int j = sa[i];
                sa[i] = -1;
                sa[--bkt[s[j]]] = j;
            }
            InduceL(s, sa, t, counts, bkt);
            InduceS(s, sa, t, counts, bkt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(typeArray);
            ArrayPool<int>.Shared.Return(countArray);
            ArrayPool<int>.Shared.Return(bucketArray);
        }
    }

    private static bool IsLms(ReadOnlySpan<byte> t, int i) => i > 0 && t[i] == 1 && t[i - 1] == 0;

    private static void BucketEnds(ReadOnlySpan<int> counts, Span<int> bkt)
    {
        int sum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            sum += counts[i];
            bkt[i] = sum;
        }
    }

    private static void BucketStarts(ReadOnlySpan<int> counts, Span<int> bkt)
    {
        int sum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            bkt[i] = sum;
            sum += counts[i];
        }
    }

    private static void InduceL(ReadOnlySpan<int> s, Span<int> sa, ReadOnlySpan<byte> t, ReadOnlySpan<int> counts, Span<int> bkt)
    {
        BucketStarts(counts, bkt);
        for (int i = 0; i < sa.Length; i++)
        {
            int j = sa[i] - 1;
            if (j >= 0 && t[j] == 0) sa[bkt[s[j]]++] = j;
        }
    }

    private static void InduceS(ReadOnlySpan<int> s, Span<int> sa, ReadOnlySpan<byte> t, ReadOnlySpan<int> counts, Span<int> bkt)
    {
        BucketEnds(counts, bkt);
        for (int i = sa.Length - 1; i >= 0; i--)
        {
            int j = sa[i] - 1;
            if (j >= 0 && t[j] == 1) sa[--bkt[s[j]]] = j;
        }
    }
}
