using EmAlign.Geometry;

namespace EmAlign.Volumes;

/// <summary>How successive pyramid levels grow their mags.</summary>
public enum PyramidMode
{
    /// <summary>
    /// Keep voxels as isotropic as possible (WEBKNOSSOS' default when the voxel size is known): double only the
    /// physically smallest axes (2-2-1 on thin sections) unless doubling all axes gives rounder voxels.
    /// </summary>
    Anisotropic,

    /// <summary>Double every axis: 1, 2, 4, 8, ...</summary>
    Isotropic,

    /// <summary>Never reduce z: 2-2-1, 4-4-1, ...</summary>
    ConstantZ,
}

/// <summary>The mags of a resolution pyramid, as WEBKNOSSOS (webknossos-libs) chooses them.</summary>
public static class PyramidSchedule
{
    /// <summary>
    /// The coarsest mag's largest factor by default: the power of two at or above max(width, height) / 100, at least 4
    /// (so the coarsest level is about 100 voxels across).
    /// </summary>
    public static int DefaultCoarsest(long width, long height)
    {
        long target = Math.Max(4, Box3.CeilDiv(Math.Max(width, height), 100));
        return (int)Math.Min(1L << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)target));
    }

    /// <summary>
    /// The mags after <paramref name="from"/> (excluded) up to a largest factor of <paramref name="coarsest"/>, for voxels
    /// of <paramref name="voxelSize"/> at mag 1. Anisotropic steps compare two candidates, all axes doubled or only the
    /// physically smallest ones, and take the one with the lower ratio of largest to smallest physical voxel side
    /// (the smallest-axes step on ties). Steps that leave the largest factor unchanged are taken but not listed, so
    /// every listed mag has a distinct largest factor.
    /// </summary>
    public static IReadOnlyList<Mag> Mags(VoxelSize voxelSize, int coarsest, PyramidMode mode = PyramidMode.Anisotropic, Mag? from = null)
    {
        if (coarsest < 1) throw new ArgumentOutOfRangeException(nameof(coarsest), coarsest, "The coarsest factor is at least 1.");
        var m = from ?? Mag.One;
        var list = new List<Mag>();
        while (true)
        {
            var next = mode switch
            {
                PyramidMode.Isotropic => new Mag(m.X * 2, m.Y * 2, m.Z * 2),
                PyramidMode.ConstantZ => new Mag(m.X * 2, m.Y * 2, m.Z),
                _ => AnisotropicStep(voxelSize, m),
            };
            if (next.Max > coarsest) break;
            if (next.Max > m.Max) list.Add(next);
            m = next;
        }
        return list;
    }

    private static Mag AnisotropicStep(VoxelSize vs, Mag m)
    {
        double px = vs.X * m.X, py = vs.Y * m.Y, pz = vs.Z * m.Z;
        double min = Math.Min(px, Math.Min(py, pz));
        const double tol = 1e-9;
        var b = new Mag(px <= min * (1 + tol) ? m.X * 2 : m.X, py <= min * (1 + tol) ? m.Y * 2 : m.Y, pz <= min * (1 + tol) ? m.Z * 2 : m.Z);
        var a = new Mag(m.X * 2, m.Y * 2, m.Z * 2);
        return Ratio(vs, a) < Ratio(vs, b) * (1 - tol) ? a : b;
    }

    private static double Ratio(VoxelSize vs, Mag m)
    {
        double px = vs.X * m.X, py = vs.Y * m.Y, pz = vs.Z * m.Z;
        return Math.Max(px, Math.Max(py, pz)) / Math.Min(px, Math.Min(py, pz));
    }
}
