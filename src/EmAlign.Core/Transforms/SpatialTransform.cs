namespace EmAlign.Transforms;

/// <summary>
/// A spatial transform in the pull-back convention: it maps a FIXED (output) physical point to the MOVING (input)
/// physical point whose value the output shows, so a warped volume is out(x) = moving(T(x)) sampled on the fixed grid.
/// Coordinates are x, y, z in <see cref="Unit"/> (the unit of the volumes' voxel size).
/// </summary>
public abstract class SpatialTransform
{
    protected SpatialTransform(string unit)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(unit);
        Unit = unit;
    }

    /// <summary>Unit of the physical coordinates this transform takes and returns.</summary>
    public string Unit { get; }

    /// <summary>Short name of the kind, as written in transform files: "affine", "local_affines", "displacement_field", "chain".</summary>
    public abstract string Kind { get; }

    /// <summary>Maps fixed points to moving points in place (three equal-length coordinate spans).</summary>
    public abstract void TransformPoints(Span<double> x, Span<double> y, Span<double> z);

    /// <summary>The same transform with coordinates in <paramref name="unit"/>.</summary>
    public abstract SpatialTransform InUnit(string unit);

    /// <summary>Maps one fixed point to its moving point.</summary>
    public (double X, double Y, double Z) Apply(double x, double y, double z)
    {
        Span<double> px = [x], py = [y], pz = [z];
        TransformPoints(px, py, pz);
        return (px[0], py[0], pz[0]);
    }

    /// <summary>Throws unless the three spans have the same length.</summary>
    protected static void CheckLengths(Span<double> x, Span<double> y, Span<double> z)
    {
        if (x.Length != y.Length || x.Length != z.Length)
            throw new ArgumentException($"Coordinate spans differ in length: x {x.Length}, y {y.Length}, z {z.Length}.");
    }
}
