using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;

namespace EmAlign.Tests.Mesh;

/// <summary>Spec §7.4 (SOFIMA mesh_test.py) and the relaxer's basic guarantees.</summary>
public class MeshRelaxerTests
{
    private static IntegrationConfig TestConfig(bool fire, double gamma = 0) => new()
    {
        Dt = 0.01,
        Gamma = gamma,
        K0 = 0.1,
        K = 0.1,
        StrideX = 10,
        StrideY = 10,
        NumIters = 100,
        MaxIters = 10000,
        StopVMax = 0.001,
        Fire = fire,
    };

    /// <summary>The perturbed 50×50 mesh of mesh_test.py.</summary>
    private static CoordinateMap Perturbed()
    {
        var x = new CoordinateMap(Box3.FromSize(50, 50, 1), 10, 10);
        var dx = x.Dx(0);
        var dy = x.Dy(0);
        for (int i = 20; i < 30; i++)
        {
            dx[i * 50 + 10] = 3;
            dx[i * 50 + 40] = -4;
        }
        for (int j = 10; j < 20; j++) dy[30 * 50 + j] = 2;
        return x;
    }

    private static double MaxAbs(CoordinateMap map) => map.Data.Max(v => Math.Abs((double)v));

    [Fact]
    public void FireRelaxesToEquilibrium()
    {
        var result = MeshRelaxer.Relax(Perturbed(), new CoordinateMap(Box3.FromSize(50, 50, 1), 10, 10), TestConfig(fire: true));
        Assert.True(MaxAbs(result.Positions) < 1.5e-3, $"max |x| = {MaxAbs(result.Positions)}");
        Assert.Equal(result.Steps / 100, result.KineticEnergy.Count);
    }

    [Fact]
    public void DampedVerletRelaxesToEquilibrium()
    {
        var config = TestConfig(fire: false, gamma: 0.9 * Math.Sqrt(4 * 0.1));
        var result = MeshRelaxer.Relax(Perturbed(), new CoordinateMap(Box3.FromSize(50, 50, 1), 10, 10), config);
        Assert.True(MaxAbs(result.Positions) < 1.5e-3, $"max |x| = {MaxAbs(result.Positions)}");
    }

    [Fact]
    public void FireNeedsFewerStepsThanDampedVerlet()
    {
        var zero = new CoordinateMap(Box3.FromSize(50, 50, 1), 10, 10);
        // Same base step and stopping speed; FIRE may grow its step up to 10x (the library default).
        var fire = MeshRelaxer.Relax(Perturbed(), zero, TestConfig(fire: true) with { StopVMax = 1e-4 });
        var verlet = MeshRelaxer.Relax(Perturbed(), zero, TestConfig(fire: false, gamma: 0.9 * Math.Sqrt(4 * 0.1)) with { StopVMax = 1e-4, MaxIters = 100_000 });
        Assert.True(MaxAbs(fire.Positions) < 1.5e-3);
        Assert.True(MaxAbs(verlet.Positions) < 1.5e-3, $"Verlet max {MaxAbs(verlet.Positions)} after {verlet.Steps}, FIRE {fire.Steps}");
        Assert.True(fire.Steps * 4 < verlet.Steps, $"FIRE {fire.Steps} steps, Verlet {verlet.Steps}");
    }

    [Fact]
    public void RestStateHasExactlyZeroForce()
    {
        var force = MeshRelaxer.InplaneForce(new CoordinateMap(Box3.FromSize(10, 10, 1), 40, 40), 1.0);
        Assert.All(force.Data, v => Assert.Equal(0f, v));
        var preferred = MeshRelaxer.InplaneForce(new CoordinateMap(Box3.FromSize(10, 10, 3), 40, 40), 1.0, preferOrigOrder: true);
        Assert.All(preferred.Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SpringForcesMatchHookesLaw()
    {
        const double k = 0.1, l = 10;
        var x = new CoordinateMap(Box3.FromSize(10, 10, 1), 10, 10);
        x.Dx(0)[55] = 4;
        x.Dy(0)[55] = -3;
        var force = MeshRelaxer.InplaneForce(x, k);
        double Fx(int i, int j) => force.Dx(0)[i * 10 + j];
        double Fy(int i, int j) => force.Dy(0)[i * 10 + j];

        // Left neighbour (5,4): the spring to (5,5) has d = (14, -3); the force on A is +k(L-l)d/L.
        double lx = 14, ly = -3, len = Math.Sqrt(lx * lx + ly * ly);
        Assert.Equal(k * (len - l) * lx / len, Fx(5, 4), 1e-6 * Math.Abs(k * (len - l) * lx / len));
        Assert.Equal(k * (len - l) * ly / len, Fy(5, 4), 1e-6 * Math.Abs(k * (len - l) * ly / len));
        // Top neighbour (4,5): d = (4, 7).
        len = Math.Sqrt(4 * 4 + 7 * 7);
        Assert.Equal(k * (len - l) * 4 / len, Fx(4, 5), 1e-6);
        Assert.Equal(k * (len - l) * 7 / len, Fy(4, 5), 1e-6);
        // Bottom-right (6,6): B end of the diagonal from (5,5), d = (6, 13), κ = k/√2, ℓ = 10√2.
        double dl = 10 * Math.Sqrt(2), kd = k / Math.Sqrt(2);
        len = Math.Sqrt(6 * 6 + 13 * 13);
        Assert.Equal(-kd * (len - dl) * 6 / len, Fx(6, 6), 1e-5);
        Assert.Equal(-kd * (len - dl) * 13 / len, Fy(6, 6), 1e-5);
        // Bottom-left (6,4): B end of the anti-diagonal from (5,5), d = (-14, 13).
        len = Math.Sqrt(14 * 14 + 13 * 13);
        Assert.Equal(kd * (len - dl) * 14 / len, Fx(6, 4), 1e-5);
        Assert.Equal(-kd * (len - dl) * 13 / len, Fy(6, 4), 1e-5);
        // Newton's third law: the forces sum to zero.
        Assert.Equal(0, force.Dx(0).ToArray().Sum(v => (double)v), 1e-5);
        Assert.Equal(0, force.Dy(0).ToArray().Sum(v => (double)v), 1e-5);
    }

    [Fact]
    public void PreferOriginalOrderPushesSwappedNeighboursBack()
    {
        // Node (0,1) pushed past its left neighbour: plain springs hold it in the flipped state
        // (a flipped rest length is a minimum too), anti-fold springs push it back to the right.
        var x = new CoordinateMap(Box3.FromSize(2, 1, 1), 10, 10);
        x.Dx(0)[1] = -20; // node 1 now at x = -10, node 0 at 0: d = -10, the rest length in reverse
        var plain = MeshRelaxer.InplaneForce(x, 1.0);
        var prefer = MeshRelaxer.InplaneForce(x, 1.0, preferOrigOrder: true);
        Assert.Equal(0f, plain.Dx(0)[1], 5);
        Assert.True(prefer.Dx(0)[1] > 1, $"anti-fold force {prefer.Dx(0)[1]}");
        Assert.True(prefer.Dx(0)[0] < -1);
    }

    [Fact]
    public void UnknownNodesCarryNoForceAndStayUnknown()
    {
        var x = Perturbed();
        x.Dx(0)[25 * 50 + 25] = float.NaN;
        x.Dy(0)[25 * 50 + 25] = float.NaN;
        var force = MeshRelaxer.InplaneForce(x, 0.1);
        Assert.All(force.Data, v => Assert.True(float.IsFinite(v)));
        var result = MeshRelaxer.Relax(x, new CoordinateMap(x.Box, 10, 10), TestConfig(fire: true));
        Assert.True(float.IsNaN(result.Positions.Dx(0)[25 * 50 + 25]));
        Assert.True(result.Positions.Data.Where(float.IsFinite).All(v => Math.Abs(v) < 1.5e-3));
    }

    [Fact]
    public void UniformTargetIsReachedWithEm2dSettings()
    {
        // em_2d: capped tether (0.01 → 10), anti-fold springs, dt_max 1000·dt.
        var box = Box3.FromSize(26, 26, 1);
        var target = CoordinateMap.Filled(box, 40, 40, 0);
        target.Dx(0).Fill(12.5f);
        target.Dy(0).Fill(-7.25f);
        var result = MeshRelaxer.Relax(new CoordinateMap(box, 40, 40), target, IntegrationConfig.Em2d);
        Assert.All(result.Positions.Dx(0).ToArray(), v => Assert.Equal(12.5, v, 0.05));
        Assert.All(result.Positions.Dy(0).ToArray(), v => Assert.Equal(-7.25, v, 0.05));
        Assert.True(result.Steps < IntegrationConfig.Em2d.MaxIters);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(10.0)]
    public void StiffSpringsDoNotDivergeUnderEm2dTimeSteps(double k)
    {
        // em_2d lets FIRE grow its step to 1000·dt = 1, past the stability limit of springs this stiff (k = 1 went to NaN).
        var box = Box3.FromSize(26, 26, 1);
        var target = CoordinateMap.Filled(box, 40, 40, 0);
        target.Dx(0).Fill(12.5f);
        target.Dy(0).Fill(-7.25f);
        var start = new CoordinateMap(box, 40, 40);
        start.Dx(0)[13 * 26 + 13] = 9;
        var result = MeshRelaxer.Relax(start, target, IntegrationConfig.Em2d with { K = k });
        Assert.All(result.Positions.Dx(0).ToArray(), v => Assert.Equal(12.5, v, 0.05));
        Assert.All(result.Positions.Dy(0).ToArray(), v => Assert.Equal(-7.25, v, 0.05));
    }

    [Fact]
    public void UnknownTargetsAreFilledByElasticity()
    {
        // A constant shift with a hole in the target: the hole's nodes follow their neighbours.
        var box = Box3.FromSize(20, 20, 1);
        var target = CoordinateMap.Filled(box, 40, 40, 5f);
        for (int i = 8; i < 12; i++)
            for (int j = 8; j < 12; j++)
            {
                target.Dx(0)[i * 20 + j] = float.NaN;
                target.Dy(0)[i * 20 + j] = float.NaN;
            }
        var result = MeshRelaxer.Relax(new CoordinateMap(box, 40, 40), target, IntegrationConfig.Em2d);
        Assert.All(result.Positions.Data, v => Assert.Equal(5, v, 0.05));
    }

    [Fact]
    public void FreeMeshKeepsRigidMotion()
    {
        // Without targets only the springs act: a rotated, shifted mesh is already at rest, and a
        // perturbed one relaxes back to a rigid configuration (all spring lengths at rest).
        const int n = 12;
        const double s = 40, angle = 0.2;
        var box = Box3.FromSize(n, n, 1);
        var rigid = new CoordinateMap(box, s, s);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double x = j * s, y = i * s;
                rigid.Dx(0)[i * n + j] = (float)(Math.Cos(angle) * x - Math.Sin(angle) * y + 7 - x);
                rigid.Dy(0)[i * n + j] = (float)(Math.Sin(angle) * x + Math.Cos(angle) * y - 3 - y);
            }
        var force = MeshRelaxer.InplaneForce(rigid, 0.1);
        Assert.All(force.Data, v => Assert.True(Math.Abs(v) < 1e-4, $"force {v}"));

        var perturbed = rigid.Clone();
        perturbed.Dx(0)[5 * n + 5] += 6;
        perturbed.Dy(0)[7 * n + 3] -= 5;
        var config = IntegrationConfig.Em2d with { K0 = 0, StartCap = 10, StopVMax = 1e-4 };
        var relaxed = MeshRelaxer.Relax(perturbed, null, config).Positions;
        var dx = relaxed.Dx(0);
        var dy = relaxed.Dy(0);
        for (int i = 0; i < n; i++)
            for (int j = 0; j + 1 < n; j++)
            {
                int k = i * n + j;
                double ex = dx[k + 1] - dx[k] + s, ey = dy[k + 1] - dy[k];
                Assert.Equal(s, Math.Sqrt(ex * ex + ey * ey), 0.05);
            }
    }

    [Fact]
    public void ConfigValidationNamesTheField()
    {
        var ex = Assert.Throws<EmAlignException>(() => MeshRelaxer.Relax(new CoordinateMap(Box3.FromSize(4, 4, 1), 40, 40), null,
            IntegrationConfig.Em2d with { Fire = false }));
        Assert.Equal("StartCap", ex.Target);
        ex = Assert.Throws<EmAlignException>(() => IntegrationConfig.Em2d with { CapScale = 1.0 } is var c ? RunValidate(c) : 0);
        Assert.Equal("CapScale", ex.Target);
        ex = Assert.Throws<EmAlignException>(() => MeshRelaxer.Relax(new CoordinateMap(Box3.FromSize(4, 4, 1), 20, 20), null, IntegrationConfig.Em2d));
        Assert.Equal("config", ex.Target);
    }

    private static int RunValidate(IntegrationConfig config)
    {
        config.Validate();
        return 0;
    }

    [Fact]
    public void Em2dPresetsMatchTheSpec()
    {
        var c = IntegrationConfig.Em2d;
        Assert.Equal((0.001, 0.0, 0.01, 0.1, 40.0, 40.0, 1000, 100_000L, 0.005), (c.Dt, c.Gamma, c.K0, c.K, c.StrideX, c.StrideY, c.NumIters, c.MaxIters, c.StopVMax));
        Assert.Equal((1000.0, 0.01, 10.0, true, true), (c.DtMax, c.StartCap, c.FinalCap, c.PreferOrigOrder, c.Fire));
        Assert.Equal((0.99, 1.1, 0.5, 0.1, 5, 1.1, 100, false), (c.FAlpha, c.FInc, c.FDec, c.Alpha, c.NMin, c.CapScale, c.CapUpscaleEvery, c.RemoveDrift));
        var x = IntegrationConfig.Em2dCrossBlock;
        Assert.Equal((0.001, 320.0, 320.0, 0.001), (x.K0, x.StrideX, x.StrideY, x.StopVMax));
    }
}
