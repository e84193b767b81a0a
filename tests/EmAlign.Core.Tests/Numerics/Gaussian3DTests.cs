using EmAlign.Numerics;

namespace EmAlign.Tests.Numerics;

public class Gaussian3DTests
{
    [Fact]
    public void BlurringAnImpulseGivesTheSeparableKernelPerAxis()
    {
        int nx = 31, ny = 25, nz = 15;
        var v = new float[nx * ny * nz];
        v[(7 * ny + 12) * nx + 15] = 1;
        Gaussian3D.Blur(v, new float[v.Length], nx, ny, nz, 2.0, 1.5, 0.8);
        float[] kx = GaussianBlur.Kernel(2.0), ky = GaussianBlur.Kernel(1.5), kz = GaussianBlur.Kernel(0.8);
        int rx = kx.Length / 2, ry = ky.Length / 2, rz = kz.Length / 2;
        for (int dz = -rz; dz <= rz; dz++)
            for (int dy = -ry; dy <= ry; dy++)
                for (int dx = -rx; dx <= rx; dx++)
                    Assert.Equal(kx[dx + rx] * ky[dy + ry] * kz[dz + rz], v[((7 + dz) * ny + 12 + dy) * nx + 15 + dx], 6);
        Assert.Equal(1, v.Sum(), 4);
    }

    [Fact]
    public void BordersMirrorSoConstantsStayConstant()
    {
        int nx = 9, ny = 4, nz = 3; // kernels longer than the axes
        var v = Enumerable.Repeat(5f, nx * ny * nz).ToArray();
        Gaussian3D.Blur(v, new float[v.Length], nx, ny, nz, 3, 3, 3);
        Assert.All(v, x => Assert.Equal(5, x, 4));
    }

    [Fact]
    public void ConvolvingAlongOneAxisLeavesTheOthers()
    {
        int nx = 6, ny = 5, nz = 4;
        var src = Enumerable.Range(0, nx * ny * nz).Select(i => (float)(i % 7)).ToArray();
        var dst = new float[src.Length];
        // [0 1 0] along z is the identity; [1 0 0] shifts by one with the mirrored edge.
        Gaussian3D.ConvolveAxis(src, dst, nx, ny, nz, 2, [0, 1, 0]);
        Assert.Equal(src, dst);
        Gaussian3D.ConvolveAxis(src, dst, nx, ny, nz, 0, [1, 0, 0]);
        for (int row = 0; row < ny * nz; row++)
        {
            Assert.Equal(src[row * nx], dst[row * nx]);
            for (int x = 1; x < nx; x++) Assert.Equal(src[row * nx + x - 1], dst[row * nx + x]);
        }
        Assert.Throws<ArgumentException>(() => Gaussian3D.ConvolveAxis(src, src, nx, ny, nz, 1, [1f]));
        Assert.Throws<ArgumentException>(() => Gaussian3D.ConvolveAxis(src, dst, nx, ny, nz, 1, [0.5f, 0.5f]));
    }

    [Theory]
    [InlineData(-1, 5, 0)]
    [InlineData(-3, 5, 2)]
    [InlineData(5, 5, 4)]
    [InlineData(11, 5, 1)]   // past a full period
    [InlineData(4, 1, 0)]
    public void ReflectIsHalfSampleSymmetric(int i, int n, int expected) => Assert.Equal(expected, Gaussian3D.Reflect(i, n));
}
