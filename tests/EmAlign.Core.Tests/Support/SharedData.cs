namespace EmAlign.Tests.Support;

/// <summary>Locates ../shared (fixtures and real data) beside the repository; EMALIGN_SHARED overrides.</summary>
public static class SharedData
{
    public static string? Root { get; } = FindRoot();

    public static string Fixtures => System.IO.Path.Combine(Root ?? "shared-missing", "fixtures");

    public static string Data => System.IO.Path.Combine(Root ?? "shared-missing", "data");

    /// <summary>The real ssTEM stack's folder of raw TIFFs.</summary>
    public static string SsTemRaw => System.IO.Path.Combine(Data, "vnc-ssTEM-stack1", "raw");

    public static string Fixture(string relative) => System.IO.Path.Combine(Fixtures, relative);

    public static bool HasFixtures => Directory.Exists(Fixtures);

    public static bool HasSsTem => Directory.Exists(SsTemRaw);

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("EMALIGN_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EmAlign.slnx")))
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(candidate) ? System.IO.Path.GetFullPath(candidate) : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with a clear message, where ../shared/fixtures is absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute()
    {
        if (!SharedData.HasFixtures) Skip = "../shared/fixtures is absent (set EMALIGN_SHARED to the shared folder).";
    }
}

/// <summary>A theory that is skipped where ../shared/fixtures is absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute()
    {
        if (!SharedData.HasFixtures) Skip = "../shared/fixtures is absent (set EMALIGN_SHARED to the shared folder).";
    }
}

/// <summary>A fact that is skipped where the real ssTEM stack in ../shared/data is absent.</summary>
public sealed class SsTemFactAttribute : FactAttribute
{
    public SsTemFactAttribute()
    {
        if (!SharedData.HasSsTem) Skip = "../shared/data/vnc-ssTEM-stack1 is absent (set EMALIGN_SHARED to the shared folder).";
    }
}
