using EmAlign.Diagnostics;

namespace EmAlign.Volumes;

/// <summary>
/// Builds an output (file or folder) under a sibling temporary name and renames it onto the destination only
/// when complete, so an interrupted run never leaves something that looks finished; an existing destination
/// is replaced only when forced.
/// </summary>
public static class AtomicOutput
{
    /// <summary>
    /// Runs <paramref name="build"/> on a temporary sibling path of <paramref name="destination"/>, then moves it there.
    /// Throws <see cref="OutputExistsException"/> when the destination exists and <paramref name="force"/> is false,
    /// and refuses destinations that overlap <paramref name="sourcePath"/> (replacing them would destroy the input).
    /// On failure or cancellation the temporary output is deleted.
    /// </summary>
    public static T Write<T>(string destination, bool force, string? sourcePath, Func<string, T> build)
    {
        bool exists = CheckDestination(destination, force, sourcePath);
        string target = Path.GetFullPath(destination);
        string temp = TemporarySibling(target);
        try
        {
            var result = build(temp);
            if (exists) DeletePath(target);
            if (Directory.Exists(temp)) Directory.Move(temp, target);
            else File.Move(temp, target);
            return result;
        }
        catch
        {
            try { DeletePath(temp); }
            catch (Exception) { /* a leftover "*.partial-*" never looks complete; the original failure is what matters */ }
            throw;
        }
    }

    /// <summary>
    /// The checks <see cref="Write"/> makes before building, for callers that compute for a long time before they
    /// write: throws <see cref="OutputExistsException"/> for an existing destination without <paramref name="force"/>,
    /// and refuses a destination overlapping <paramref name="sourcePath"/>. Returns whether the destination exists.
    /// </summary>
    public static bool CheckDestination(string destination, bool force, string? sourcePath)
    {
        string target = Path.GetFullPath(destination);
        if (sourcePath is not null) RejectOverlap(sourcePath, target, destination);
        bool exists = File.Exists(target) || Directory.Exists(target);
        if (exists && !force) throw new OutputExistsException(destination);
        return exists;
    }

    /// <summary>Refuses destinations that are the source, contain it, or lie inside it.</summary>
    public static void RejectOverlap(string sourcePath, string target, string destination)
    {
        var cmp = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string src = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sourcePath));
        string dst = Path.TrimEndingDirectorySeparator(target);
        if (string.Equals(src, dst, cmp) || src.StartsWith(dst + Path.DirectorySeparatorChar, cmp) || dst.StartsWith(src + Path.DirectorySeparatorChar, cmp))
            throw new EmAlignException($"The destination '{destination}' overlaps the source '{sourcePath}': expected a path outside the volume being read.", destination);
    }

    /// <summary>"dir/name.partial-1a2b3c4d.ext": same folder (so the final rename is atomic), same extension (formats may look at it).</summary>
    private static string TemporarySibling(string target)
    {
        string dir = Path.GetDirectoryName(target) ?? ".";
        string name = Path.GetFileName(target);
        string ext = Path.GetExtension(name);
        return Path.Combine(dir, $"{name[..^ext.Length]}.partial-{Guid.NewGuid().ToString("N")[..8]}{ext}");
    }

    private static void DeletePath(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }
}
