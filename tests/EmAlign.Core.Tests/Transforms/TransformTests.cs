using EmAlign.Diagnostics;
using EmAlign.Transforms;

namespace EmAlign.Tests.Transforms;

public class TransformTests
{
    private static readonly AffineTransform3D A = new([1.02, 0.05, -0.01, 5, -0.04, 0.98, 0.02, -3, 0.01, -0.03, 1.01, 2], "micrometer");
    private static readonly AffineTransform3D B = new([0.99, -0.02, 0.0, -1, 0.03, 1.01, 0.0, 4, 0.0, 0.01, 0.97, -0.5], "micrometer");

    private static void Close((double X, double Y, double Z) a, (double X, double Y, double Z) b, double tol = 1e-9)
    {
        Assert.Equal(a.X, b.X, tol);
        Assert.Equal(a.Y, b.Y, tol);
        Assert.Equal(a.Z, b.Z, tol);
    }

    [Fact]
    public void AffineCompositionInverseAndRecentring()
    {
        var p = (X: 12.5, Y: -3.0, Z: 40.0);
        Close(A.After(B).Apply(p.X, p.Y, p.Z), A.Apply(B.Apply(p.X, p.Y, p.Z).X, B.Apply(p.X, p.Y, p.Z).Y, B.Apply(p.X, p.Y, p.Z).Z));
        var back = A.Inverse().Apply(A.Apply(p.X, p.Y, p.Z).X, A.Apply(p.X, p.Y, p.Z).Y, A.Apply(p.X, p.Y, p.Z).Z);
        Close(back, p);
        // Recentred on s: T'(p - s) = T(p) - s.
        var r = A.Recentered(100, 50, 10);
        var q = A.Apply(p.X, p.Y, p.Z);
        Close(r.Apply(p.X - 100, p.Y - 50, p.Z - 10), (q.X - 100, q.Y - 50, q.Z - 10));
        Assert.Equal([1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], AffineTransform3D.Identity("nm").ToMatrix4x4());
    }

    [Fact]
    public void AffineUnitsScaleOnlyTheTranslation()
    {
        var nm = A.InUnitAffine("nanometer");
        Assert.Equal(5000, nm[0, 3], 9);
        Assert.Equal(A[1, 1], nm[1, 1]);
        var q = A.Apply(1, 2, 3);
        var qn = nm.Apply(1000, 2000, 3000);
        Close((qn.X / 1000, qn.Y / 1000, qn.Z / 1000), q);
        Assert.Throws<EmAlignException>(() => A.InUnit("pixel"));
    }

    [Fact]
    public void SingularAndMalformedMatricesAreRejected()
    {
        var singular = new AffineTransform3D([1, 2, 3, 0, 2, 4, 6, 0, 0, 0, 1, 0], "um");
        Assert.Contains("singular", Assert.Throws<EmAlignException>(() => singular.Inverse()).Message);
        Assert.Contains("0 0 0 1", Assert.Throws<EmAlignException>(() => new AffineTransform3D([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1], "um")).Message);
        Assert.Throws<EmAlignException>(() => new AffineTransform3D([1, 0, 0, double.NaN, 0, 1, 0, 0, 0, 0, 1, 0], "um"));
    }

    [Fact]
    public void ChainsApplyTheLastTransformFirst()
    {
        var chain = new TransformChain([A, B]);
        var p = (X: 3.0, Y: 4.0, Z: 5.0);
        var b = B.Apply(p.X, p.Y, p.Z);
        Close(chain.Apply(p.X, p.Y, p.Z), A.Apply(b.X, b.Y, b.Z));
        // Nested chains flatten; neighbouring affines multiply into one.
        var nested = new TransformChain([A.Inverse(), new TransformChain([A, B])]);
        Assert.Equal(3, nested.Items.Count);
        var simple = Assert.IsType<AffineTransform3D>(nested.Simplify());
        Close(simple.Apply(p.X, p.Y, p.Z), b);
    }

    [Fact]
    public void ChainsConvertMembersToOneUnit()
    {
        var chain = new TransformChain([A, B.InUnitAffine("nanometer")]);
        Assert.Equal("micrometer", chain.Unit);
        var b = B.Apply(1, 2, 3);
        Close(chain.Apply(1, 2, 3), A.Apply(b.X, b.Y, b.Z));
    }

    [Fact]
    public void FieldsSampledFromAnAffineReproduceItEverywhere()
    {
        var grid = new VoxelGrid(20, 16, 6, 0.5, 0.5, 2, 1, 2, 3, "micrometer");
        var field = DisplacementField.FromTransform(A, grid);
        // Trilinear interpolation of an affine field is exact between grid points (to float precision).
        foreach (var p in new[] { (2.3, 4.4, 7.1), (1.0, 2.0, 3.0), (10.4, 9.4, 12.9) })
            Close(field.Apply(p.Item1, p.Item2, p.Item3), A.Apply(p.Item1, p.Item2, p.Item3), 1e-4);
        // Beyond the grid the edge displacement holds.
        var edge = field.Apply(10.5, 9.5, 13);
        var outside = field.Apply(20.5, 9.5, 13);
        Assert.Equal(edge.X - 10.5, outside.X - 20.5, 6);
        // Chains compose into one field.
        var composed = new TransformChain([A, B]).ToDisplacementField(grid);
        var bb = B.Apply(3, 4, 5);
        Close(composed.Apply(3, 4, 5), A.Apply(bb.X, bb.Y, bb.Z), 1e-3);
    }

    [Fact]
    public void GridsOfVolumeLevelsShareOnePhysicalFrame()
    {
        // A mag-2 voxel covers mag-1 voxels 2i and 2i+1: its centre is half a mag-1 voxel further on.
        var array1 = new EmAlign.Volumes.MemoryChunkedArray(EmAlign.Volumes.DataType.UInt8, [8, 8, 8], [8, 8, 8]);
        var array2 = new EmAlign.Volumes.MemoryChunkedArray(EmAlign.Volumes.DataType.UInt8, [8, 4, 4], [8, 4, 4]);
        using var v = new EmAlign.Volumes.EmVolume("m", "memory", "", [new(EmAlign.Geometry.Mag.One, array1), new(new EmAlign.Geometry.Mag(2, 2, 1), array2)],
            new EmAlign.Volumes.VoxelSize(4, 4, 40));
        var g1 = VoxelGrid.Of(v, 0);
        var g2 = VoxelGrid.Of(v, 1);
        Assert.Equal((0.0, 0.0, 0.0), g1.ToPhysical(0, 0, 0));
        Assert.Equal((2.0, 2.0, 0.0), g2.ToPhysical(0, 0, 0));
        Assert.Equal((8.0, 8.0, 40.0), (g2.SpacingX, g2.SpacingY, g2.SpacingZ));
        Assert.Equal((3.5, 3.5, 7.0), g2.ToVoxel(30, 30, 280));
    }
}
