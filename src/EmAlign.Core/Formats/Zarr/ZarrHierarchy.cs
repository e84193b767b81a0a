using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;

namespace EmAlign.Formats.Zarr;

/// <summary>Zarr v2 groups and containers on disk: .zgroup files, the container root, consolidated metadata.</summary>
internal static class ZarrHierarchy
{
    public const string ArrayFile = ".zarray", GroupFile = ".zgroup", AttrsFile = ".zattrs", ConsolidatedFile = ".zmetadata";

    public static bool IsArray(string dir) => File.Exists(Path.Combine(dir, ArrayFile));

    public static bool IsGroup(string dir) => File.Exists(Path.Combine(dir, GroupFile));

    /// <summary>
    /// The container root of an existing node (the outermost folder reached through parents that are groups)
    /// and the node's path inside it, "/"-separated ("" for the root itself).
    /// </summary>
    public static (string Root, string Dataset) Split(string dir)
    {
        var root = dir;
        for (var p = Path.GetDirectoryName(root); p is not null && IsGroup(p); p = Path.GetDirectoryName(p)) root = p;
        return (root, Relative(root, dir));
    }

    /// <summary>
    /// Makes the parents of a new node <paramref name="path"/> groups, from the container root down: the
    /// outermost ancestor named *.zarr, else the outermost run of existing groups above it. Returns the root
    /// (<paramref name="path"/> itself when it is a container of its own); new metadata files go into <paramref name="written"/>.
    /// </summary>
    public static string PrepareParents(string path, List<string> written)
    {
        var ancestors = new List<string>();
        for (var p = Path.GetDirectoryName(path); p is not null; p = Path.GetDirectoryName(p)) ancestors.Add(p);
        int rootIndex = ancestors.FindLastIndex(a => a.EndsWith(".zarr", StringComparison.OrdinalIgnoreCase));
        if (rootIndex < 0)
            while (rootIndex + 1 < ancestors.Count && IsGroup(ancestors[rootIndex + 1])) rootIndex++;
        if (ancestors.Count > 0 && IsArray(ancestors[0]))
            throw new InvalidVolumeException($"'{path}' would lie inside the Zarr array '{ancestors[0]}'; expected a group or a new folder.", path);
        for (int i = rootIndex; i >= 0; i--)
        {
            var dir = ancestors[i];
            if (IsArray(dir))
                throw new InvalidVolumeException($"'{path}' would lie inside the Zarr array '{dir}'; expected a group or a new folder.", path);
            if (!IsGroup(dir)) WriteGroup(dir, written);
        }
        return rootIndex >= 0 ? ancestors[rootIndex] : path;
    }

    /// <summary>Creates <paramref name="dir"/> as a group: {"zarr_format": 2}.</summary>
    public static void WriteGroup(string dir, List<string> written)
    {
        Directory.CreateDirectory(dir);
        WriteJson(Path.Combine(dir, GroupFile), new JsonObject { ["zarr_format"] = 2 }, written);
    }

    /// <summary>Writes a metadata file atomically and notes it.</summary>
    public static void WriteJson(string file, JsonNode node, List<string> written)
    {
        FileStore.WriteAtomic(file, JsonAttributes.ToBytes(node));
        written.Add(file);
    }

    /// <summary>
    /// Keeps a container's .zmetadata (zarr-python's consolidated metadata) true after <paramref name="dataset"/>
    /// was replaced: drops its old entries and adds <paramref name="written"/>. Containers without one are left alone.
    /// </summary>
    public static void UpdateConsolidated(string root, string dataset, IEnumerable<string> written)
    {
        var file = Path.Combine(root, ConsolidatedFile);
        var doc = JsonAttributes.ReadObject(file);
        if (doc?["metadata"] is not JsonObject meta) return;
        if (dataset.Length > 0)
            foreach (var key in meta.Select(kv => kv.Key).Where(k => k.StartsWith(dataset + "/", StringComparison.Ordinal)).ToList())
                meta.Remove(key);
        foreach (var f in written)
            meta[Relative(root, f)] = JsonAttributes.ReadObject(f);
        FileStore.WriteAtomic(file, JsonAttributes.ToBytes(doc));
    }

    private static string Relative(string root, string path)
    {
        var r = Path.GetRelativePath(root, path).Replace('\\', '/');
        return r == "." ? "" : r;
    }
}
