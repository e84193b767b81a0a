namespace EmAlign.FrontEnds;

/// <summary>The matching behind the -Format and -Codec tab completers, kept free of PowerShell types.</summary>
internal static class NameCompletion
{
    /// <summary>Names starting with what was typed (quotes stripped, case-insensitive), in their given order.</summary>
    public static IEnumerable<string> Matching(IEnumerable<string> names, string? typed)
    {
        string prefix = (typed ?? "").Trim('\'', '"');
        return names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }
}
