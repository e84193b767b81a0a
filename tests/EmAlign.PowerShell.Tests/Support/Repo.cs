namespace EmAlign.PowerShell.Tests.Support;

/// <summary>Files of the repository these tests check (manifest, format file, help).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "EmAlign.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No EmAlign.slnx above {AppContext.BaseDirectory}.");
    }
}
