using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Formats.Zarr;

namespace EmAlign.Formats.Zarr3;

/// <summary>Zarr v3 nodes on disk: which folders are arrays or groups, the container root, parent groups.</summary>
internal static class Zarr3Hierarchy
{
    public static bool IsNode(string dir) => File.Exists(Path.Combine(dir, Zarr3Json.NodeFile));

    public static bool IsGroup(string dir) => Zarr3Json.ReadNode(dir) is { NodeType: "group" };

    public static bool IsArray(string dir) => Zarr3Json.ReadNode(dir) is { NodeType: "array" };

    /// <summary>The outermost folder reached through parents that are v3 groups, and the node's path inside it.</summary>
    public static (string Root, string Dataset) Split(string dir)
    {
        var root = dir;
        for (var p = Path.GetDirectoryName(root); p is not null && IsNode(p) && IsGroup(p); p = Path.GetDirectoryName(p)) root = p;
        var rel = Path.GetRelativePath(root, dir).Replace('\\', '/');
        return (root, rel == "." ? "" : rel);
    }

    /// <summary>
    /// Makes the parents of a new node groups from the container root down: the outermost ancestor named *.zarr,
    /// else the outermost run of existing v3 groups. Returns the root (the node itself when it stands alone).
    /// </summary>
    public static string PrepareParents(string path)
    {
        var ancestors = new List<string>();
        for (var p = Path.GetDirectoryName(path); p is not null; p = Path.GetDirectoryName(p)) ancestors.Add(p);
        int rootIndex = ancestors.FindLastIndex(a => a.EndsWith(".zarr", StringComparison.OrdinalIgnoreCase));
        if (rootIndex < 0)
            while (rootIndex + 1 < ancestors.Count && IsNode(ancestors[rootIndex + 1]) && IsGroup(ancestors[rootIndex + 1])) rootIndex++;
        for (int i = rootIndex; i >= 0; i--)
        {
            var dir = ancestors[i];
            if (IsNode(dir))
            {
                if (IsArray(dir)) throw new InvalidVolumeException($"'{path}' would lie inside the Zarr array '{dir}'; expected a group or a new folder.", path);
                continue;
            }
            if (ZarrHierarchy.IsArray(dir) || ZarrHierarchy.IsGroup(dir))
                throw new InvalidVolumeException($"'{path}' would lie inside the Zarr v2 node '{dir}'; expected a Zarr v3 group or a new folder.", path);
            WriteGroup(dir, null);
        }
        return rootIndex >= 0 ? ancestors[rootIndex] : path;
    }

    /// <summary>Writes <paramref name="dir"/>/zarr.json as a group with <paramref name="attributes"/> (none when null).</summary>
    public static void WriteGroup(string dir, JsonObject? attributes)
    {
        var o = new JsonObject { ["zarr_format"] = 3, ["node_type"] = "group" };
        if (attributes is not null) o["attributes"] = attributes;
        WriteJson(dir, o);
    }

    /// <summary>Writes a node's zarr.json atomically.</summary>
    public static void WriteJson(string dir, JsonNode node)
    {
        Directory.CreateDirectory(dir);
        FileStore.WriteAtomic(Path.Combine(dir, Zarr3Json.NodeFile), JsonAttributes.ToBytes(node));
    }
}
