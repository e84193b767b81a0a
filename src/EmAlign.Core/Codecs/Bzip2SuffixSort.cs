using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmAlign.Codecs;

/// <summary>
/// Sorts the cyclic rotations of a bzip2 block (the Burrows-Wheeler transform's matrix) with SA-IS
/// suffix sorting (induced sorting, linear time, so repetitive EM backgrounds cost no more than
/// noise). The block is first rotated to start at its smallest rotation: when that rotation is
/// unique the rotated block is a Lyndon word, every proper suffix of which is larger than the word
/// and no prefix of it, so its suffix order is exactly its rotation order. A periodic block (for
/// example all zeros) has no unique smallest rotation; it is sorted as the suffixes of the block
/// written twice that start in the first copy, equal rotations coming out in any order, which the
/// format allows. The end of the text acts as a virtual sentinel smaller than every symbol, so the
/// top level sorts the bytes themselves and the recursion the integer names.
/// </summary>
internal static class Bzip2SuffixSort
{
    /// <summary>Writes into <paramref name="order"/>[row] the start index of the row-th smallest rotation.</summary>
    public static void SortRotations(ReadOnlySpan<byte> block, Span<int> order)
    {
        int n = block.Length;
        int m = SmallestRotation(block, out bool periodic);
        int total = periodic ? 2 * n : n;
        byte[] text = ArrayPool<byte>.Shared.Rent(total);
        int[] sa = ArrayPool<int>.Shared.Rent(total);
        try
        {
            if (periodic)
            {
                block.CopyTo(text);
                block.CopyTo(text.AsSpan(n));
                Sais<byte>(text.AsSpan(0, total), sa.AsSpan(0, total), 256);
                int row = 0;
                for (int i = 0; i < total; i++)
                    if (sa[i] < n) order[row++] = sa[i];
            }
            else
            {
                block[m..].CopyTo(text);
                block[..m].CopyTo(text.AsSpan(n - m));
                Sais<byte>(text.AsSpan(0, n), sa.AsSpan(0, n), 256);
                for (int row = 0; row < n; row++)
                {
                    int start = sa[row] + m;
                    order[row] = start >= n ? start - n : start;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
            ArrayPool<int>.Shared.Return(sa);
        }
    }

    /// <summary>
    /// Start of the lexicographically smallest rotation (two candidates compared in step, the loser
    /// skipping past the compared run; linear time). <paramref name="periodic"/> is set when two
    /// different rotations are equal, i.e. the block is a repetition of a shorter string.
    /// </summary>
    private static int SmallestRotation(ReadOnlySpan<byte> s, out bool periodic)
    {
        int n = s.Length, i = 0, j = 1, k = 0;
        while (i < n && j < n && k < n)
        {
            int a = i + k, b = j + k;
            byte x = s[a >= n ? a - n : a], y = s[b >= n ? b - n : b];
            if (x == y)
            {
                k++;
                continue;
            }
            if (x > y) i += k + 1;
            else j += k + 1;
            if (i == j) j++;
            k = 0;
        }
        periodic = k == n && n > 1;
        return Math.Min(i, j);
    }

    /// <summary>Suffix array of <paramref name="s"/> (symbols in [0, alphabet)), a shorter suffix sorting before its extensions.</summary>
    private static void Sais<T>(ReadOnlySpan<T> s, Span<int> sa, int alphabet) where T : unmanaged, IBinaryInteger<T>
    {
        int n = s.Length;
        if (n <= 1)
        {
            if (n == 1) sa[0] = 0;
            return;
        }
        byte[] typeArray = ArrayPool<byte>.Shared.Rent(n);
        int[] countArray = ArrayPool<int>.Shared.Rent(alphabet);
        int[] bucketArray = ArrayPool<int>.Shared.Rent(alphabet);
        try
        {
            // 1 = S-type (smaller than the suffix after it), 0 = L-type; the last suffix is L (the sentinel follows).
            var t = typeArray.AsSpan(0, n);
            t[n - 1] = 0;
            for (int i = n - 2; i >= 0; i--)
                t[i] = (byte)(s[i] < s[i + 1] || (s[i] == s[i + 1] && t[i + 1] == 1) ? 1 : 0);
            var counts = countArray.AsSpan(0, alphabet);
            var bkt = bucketArray.AsSpan(0, alphabet);
            counts.Clear();
            foreach (T c in s) counts[int.CreateTruncating(c)]++;

            // Stage 1: sort the LMS substrings by one induced pass from their bucket ends.
            BucketEnds(counts, bkt);
            sa.Fill(-1);
            for (int i = 1; i < n; i++)
                if (t[i] == 1 && t[i - 1] == 0) sa[--bkt[int.CreateTruncating(s[i])]] = i;
            InduceL(s, sa, t, counts, bkt);
            InduceS(s, sa, t, counts, bkt);

            int n1 = 0;
            for (int i = 0; i < n; i++)
            {
                int p = sa[i];
                if (p > 0 && t[p] == 1 && t[p - 1] == 0) sa[n1++] = p;
            }

            // Name the sorted LMS substrings; equal substrings share a name. The one that runs into
            // the end of the text contains the sentinel and so equals no other.
            sa[n1..].Fill(-1);
            int name = 0, prev = -1;
            for (int i = 0; i < n1; i++)
            {
                int pos = sa[i];
                bool differs = false;
                for (int d = 0; ; d++)
                {
                    if (prev == -1 || pos + d == n || prev + d == n || s[pos + d] != s[prev + d] || t[pos + d] != t[prev + d])
                    {
                        differs = true;
                        break;
                    }
                    if (d > 0 && IsLms(t, pos + d)) break;
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
            if (name < n1) Sais<int>(s1, sa1, name);
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
                sa[--bkt[int.CreateTruncating(s[j])]] = j;
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

    // The two induction scans are the hot loops; their indices are in range by construction
    // (sa holds suffix positions or -1, bucket pointers stay inside their buckets).
    private static void InduceL<T>(ReadOnlySpan<T> s, Span<int> sa, ReadOnlySpan<byte> t, ReadOnlySpan<int> counts, Span<int> bkt) where T : unmanaged, IBinaryInteger<T>
    {
        BucketStarts(counts, bkt);
        int n = s.Length;
        ref T sr = ref MemoryMarshal.GetReference(s);
        ref int ar = ref MemoryMarshal.GetReference(sa);
        ref byte tr = ref MemoryMarshal.GetReference(t);
        ref int br = ref MemoryMarshal.GetReference(bkt);
        // The virtual sentinel sorts first and induces the last suffix, which is L-type.
        Unsafe.Add(ref ar, Unsafe.Add(ref br, int.CreateTruncating(Unsafe.Add(ref sr, n - 1)))++) = n - 1;
        for (int i = 0; i < n; i++)
        {
            int j = Unsafe.Add(ref ar, i) - 1;
            if (j >= 0 && Unsafe.Add(ref tr, j) == 0)
                Unsafe.Add(ref ar, Unsafe.Add(ref br, int.CreateTruncating(Unsafe.Add(ref sr, j)))++) = j;
        }
    }

    private static void InduceS<T>(ReadOnlySpan<T> s, Span<int> sa, ReadOnlySpan<byte> t, ReadOnlySpan<int> counts, Span<int> bkt) where T : unmanaged, IBinaryInteger<T>
    {
        BucketEnds(counts, bkt);
        ref T sr = ref MemoryMarshal.GetReference(s);
        ref int ar = ref MemoryMarshal.GetReference(sa);
        ref byte tr = ref MemoryMarshal.GetReference(t);
        ref int br = ref MemoryMarshal.GetReference(bkt);
        for (int i = s.Length - 1; i >= 0; i--)
        {
            int j = Unsafe.Add(ref ar, i) - 1;
            if (j >= 0 && Unsafe.Add(ref tr, j) == 1)
                Unsafe.Add(ref ar, --Unsafe.Add(ref br, int.CreateTruncating(Unsafe.Add(ref sr, j)))) = j;
        }
    }
}
