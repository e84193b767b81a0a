using System.Security.Cryptography;
using System.Text.Json;
using EmAlign.Volumes;

namespace EmAlign.Tests.Support;

/// <summary>One array listed in ../shared/fixtures/manifest.json (shape in C order, numpy dtype, sha256 of its C-order bytes).</summary>
public sealed record FixtureEntry(string Name, string Kind, long[] Shape, string Dtype, string Sha256, string? Codec);

/// <summary>The fixture manifest, for theories over its entries.</summary>
public static class FixtureManifest
{
    private static readonly Lazy<IReadOnlyList<FixtureEntry>> s_entries = new(Load);

    public static IReadOnlyList<FixtureEntry> Entries => s_entries.Value;

    public static FixtureEntry Get(string name) => Entries.Single(e => e.Name == name);

    /// <summary>Names of the entries of one kind ("zarr2", "n5", ...), as theory rows; one placeholder row where fixtures are absent (the theory is skipped then).</summary>
    public static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries.Where(e => e.Kind == kind)) data.Add(e.Name);
        if (data.Count == 0) data.Add("(fixtures absent)");
        return data;
    }

    /// <summary>
    /// sha256 of native (little-endian) element bytes as the manifest computes it: for big-endian dtypes
    /// ('&gt;' typestrs) the bytes are swapped to big-endian first.
    /// </summary>
    public static string Sha256(ReadOnlySpan<byte> native, string dtype)
    {
        if (dtype.StartsWith('>') && dtype.Length > 2 && int.Parse(dtype[2..]) is var size and > 1)
        {
            var swapped = native.ToArray();
            for (int i = 0; i < swapped.Length; i += size) Array.Reverse(swapped, i, size);
            return Convert.ToHexStringLower(SHA256.HashData(swapped));
        }
        return Convert.ToHexStringLower(SHA256.HashData(native));
    }

    /// <summary>The fixtures' value rule: v = (7x + 13y + 29z + 101c) mod M (251 for 1-byte types, else 65521); floats (v mod 1000) * 0.5 - 3.25.</summary>
    public static double Value(DataType type, long c, long z, long y, long x)
    {
        long v = (7 * x + 13 * y + 29 * z + 101 * c) % (type.Size() == 1 ? 251 : 65521);
        return type.IsFloat() ? (v % 1000) * 0.5 - 3.25 : v;
    }

    private static IReadOnlyList<FixtureEntry> Load()
    {
        var file = SharedData.Fixture("manifest.json");
        if (!File.Exists(file)) return [];
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        return [.. doc.RootElement.EnumerateArray().Select(e => new FixtureEntry(
            e.GetProperty("name").GetString()!,
            e.GetProperty("kind").GetString()!,
            [.. e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())],
            e.GetProperty("dtype").GetString()!,
            e.GetProperty("sha256").GetString()!,
            e.TryGetProperty("codec", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null))];
    }
}
