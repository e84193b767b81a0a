namespace EmAlign.Volumes;

/// <summary>A progress report from a long engine operation: <see cref="Done"/> of <see cref="Total"/> units.</summary>
public readonly record struct ProgressInfo(string Activity, string Status, long Done, long Total)
{
    public int Percent => Total <= 0 ? 0 : (int)Math.Clamp(100 * Done / Total, 0, 100);
}
