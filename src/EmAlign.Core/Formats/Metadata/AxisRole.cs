namespace EmAlign.Formats.Metadata;

/// <summary>
/// What one stored array axis means in EmAlign's (c, z, y, x) model. Metadata (OME-NGFF axes, funlib
/// axis_names/types) says which stored axis is which; arrays without it are taken as [c,] [z,] y, x.
/// </summary>
public enum AxisRole
{
    /// <summary>A non-physical axis (channel, affinities, ...): at most one per array.</summary>
    Channel,
    Z,
    Y,
    X,
}

/// <summary>Helpers over lists of <see cref="AxisRole"/>.</summary>
public static class AxisRoles
{
    /// <summary>Roles of an array without axis metadata: (y, x), (z, y, x) or (c, z, y, x).</summary>
    public static AxisRole[] Default(int rank, string source) => rank switch
    {
        2 => [AxisRole.Y, AxisRole.X],
        3 => [AxisRole.Z, AxisRole.Y, AxisRole.X],
        4 => [AxisRole.Channel, AxisRole.Z, AxisRole.Y, AxisRole.X],
        _ => throw RankError(rank, source),
    };

    /// <summary>Checks that <paramref name="roles"/> name y and x once, and z and channel at most once.</summary>
    public static void Validate(IReadOnlyList<AxisRole> roles, string source)
    {
        if (roles.Count is < 2 or > 4) throw RankError(roles.Count, source);
        foreach (var r in new[] { AxisRole.Channel, AxisRole.Z, AxisRole.Y, AxisRole.X })
        {
            int n = roles.Count(x => x == r);
            bool required = r is AxisRole.X or AxisRole.Y;
            if (n > 1 || (required && n == 0))
                throw new Diagnostics.InvalidVolumeException(
                    $"'{source}' has axes ({string.Join(", ", roles)}): expected one x and one y axis, at most one z and at most one channel axis.", source);
        }
    }

    private static Diagnostics.InvalidVolumeException RankError(int rank, string source) =>
        new($"'{source}' has {rank} dimensions: EmAlign reads arrays of 2, 3 or 4 dimensions ((y, x), (z, y, x) or (c, z, y, x)).", source);
}
