namespace EmAlign.Formats.Tiff;

/// <summary>
/// Numeric-aware ("natural") ordering of file names, as ImageJ's "sort numerically" and natsort order slices:
/// runs of ASCII digits compare by value (slice_2 before slice_10), other runs ordinally (case-sensitive).
/// </summary>
public sealed class NaturalOrder : IComparer<string>
{
    public static NaturalOrder Instance { get; } = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            int ei = RunEnd(a, i), ej = RunEnd(b, j);
            var ra = a.AsSpan(i, ei - i);
            var rb = b.AsSpan(j, ej - j);
            int c = IsDigit(a[i]) && IsDigit(b[j]) ? CompareNumbers(ra, rb) : ra.SequenceCompareTo(rb);
            if (c != 0) return c;
            i = ei;
            j = ej;
        }
        // All runs tie: the name with runs left over is longer and sorts later; then plain ordinal order.
        int rest = (a.Length - i).CompareTo(b.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(a, b);
    }

    /// <summary>Digit runs by value (no overflow: compared as digit strings), then fewer leading zeros first.</summary>
    private static int CompareNumbers(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var ta = a.TrimStart('0');
        var tb = b.TrimStart('0');
        int c = ta.Length.CompareTo(tb.Length);
        if (c == 0) c = ta.SequenceCompareTo(tb);
        return c != 0 ? c : a.Length.CompareTo(b.Length);
    }

    private static int RunEnd(string s, int start)
    {
        bool digits = IsDigit(s[start]);
        int end = start + 1;
        while (end < s.Length && IsDigit(s[end]) == digits) end++;
        return end;
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';
}
