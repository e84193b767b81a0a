using EmAlign.Diagnostics;
using EmAlign.Maps;

namespace EmAlign.Mesh;

/// <summary>
/// The result of <see cref="MeshRelaxer.Relax"/>: the relaxed node positions (relative, on the input
/// grid: a forward map from the raw sections to the space of the targets), Σ|v|² after each chunk,
/// and the number of steps taken (a multiple of NumIters).
/// </summary>
public sealed record MeshRelaxResult(CoordinateMap Positions, IReadOnlyList<double> KineticEnergy, long Steps);

/// <summary>
/// Elastic mesh relaxation (SOFIMA mesh.py, spec §4). Each section is a grid of unit masses joined
/// to their 8 neighbours by Hookean springs, and tied by zero-length springs (constant k0, force
/// capped per component) to target positions. Node state and targets are relative positions on the
/// map grid: node (i, j) is at ((Box.X + j)·sx + Δx, (Box.Y + i)·sy + Δy).
/// </summary>
public static class MeshRelaxer
{
    /// <summary>
    /// Relaxes <paramref name="initial"/> toward <paramref name="target"/> (spec §4.7). Unknown (NaN)
    /// nodes of <paramref name="initial"/> leave the mesh and stay unknown; nodes with an unknown
    /// target feel no tether and follow their neighbours. The sections of one call are integrated
    /// together with one FIRE state (global power, time step, α and cap) as in SOFIMA; the run stops
    /// when the fastest node is slower than StopVMax with the cap at FinalCap (or with no tether force
    /// clipped by the cap, where raising it would change nothing), or after MaxIters. Time steps stay below
    /// the explicit integrator's stability limit for the config's K and K0 (not in SOFIMA, which diverges
    /// with stiff springs).
    /// </summary>
    /// <param name="initial">Start positions; its strides must equal the config's.</param>
    /// <param name="target">Targets on the same grid, or null for none (free mesh).</param>
    /// <param name="config">Integrator settings.</param>
    /// <param name="cancellationToken">Checked between chunks.</param>
    public static MeshRelaxResult Relax(CoordinateMap initial, CoordinateMap? target, IntegrationConfig config, CancellationToken cancellationToken = default)
    {
        config.Validate();
        CheckGrid(initial, config);
        if (target is not null && !target.SameGrid(initial))
            throw new EmAlignException($"The target map is on {target.Box} at stride {target.StrideX}x{target.StrideY}; expected the initial map's grid {initial.Box} at stride {initial.StrideX}x{initial.StrideY}.", "target");

        var system = new MeshSystem(initial.Width, initial.Height, initial.Sections, config.StrideX, config.StrideY, config.K, config.PreferOrigOrder);
        system.Load(initial, target);
        var energies = new List<double>();
        long steps = Run(system, config, energies, cancellationToken);
        var result = new CoordinateMap(initial.Box, initial.StrideX, initial.StrideY);
        system.Store(system.X, system.Y, result);
        return new MeshRelaxResult(result, energies, steps);
    }

    /// <summary>
    /// The in-plane spring force on every node (spec §4.2, SOFIMA inplane_force) for relative positions
    /// <paramref name="positions"/> with spring constant <paramref name="k"/> and the map's strides as
    /// rest spacings. Forces touching unknown nodes are 0.
    /// </summary>
    public static CoordinateMap InplaneForce(CoordinateMap positions, double k, bool preferOrigOrder = false)
    {
        var system = new MeshSystem(positions.Width, positions.Height, positions.Sections, positions.StrideX, positions.StrideY, k, preferOrigOrder);
        system.Load(positions, null);
        system.ComputeForce(0f, 0f);
        var result = new CoordinateMap(positions.Box, positions.StrideX, positions.StrideY);
        system.Store(system.NewAX, system.NewAY, result);
        return result;
    }

    private static void CheckGrid(CoordinateMap initial, IntegrationConfig config)
    {
        if (Math.Abs(initial.StrideX - config.StrideX) > 1e-9 * config.StrideX || Math.Abs(initial.StrideY - config.StrideY) > 1e-9 * config.StrideY)
            throw new EmAlignException($"The mesh is on a {initial.StrideX}x{initial.StrideY} px grid but IntegrationConfig.Stride is {config.StrideX}x{config.StrideY}; they must match.", "config");
    }

    /// <summary>The chunked integration loop of spec §4.7 with the steps of §4.6.</summary>
    private static long Run(MeshSystem system, IntegrationConfig config, List<double> energies, CancellationToken cancellationToken)
    {
        float k0 = (float)config.K0;
        float gamma = (float)config.Gamma;
        // Explicit integration diverges once a step exceeds 2/√λmax of the stiffness (unit masses). FIRE grows the step
        // to DtMax·Dt, which em_2d's k = 0.1 tolerates but a stiffer mesh does not (k = 1 blew up to NaN), so steps are
        // capped below the Gershgorin bound λmax ≤ 2·Σκ + k0 over a node's springs: 4 of k and 4 diagonals of k/√2.
        double stable = 1.9 / Math.Sqrt(2 * (4 + 2 * Math.Sqrt(2)) * config.K + config.K0);
        double hMax = Math.Min(config.DtMax * config.Dt, stable);
        double h = Math.Min(config.Dt, hMax);
        double alpha = config.Alpha;
        double cap = config.StartCap;
        long t = 0;
        while (t < config.MaxIters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            system.ComputeForce(k0, (float)cap);
            system.SwapAcceleration();
            int positive = 0;
            for (int step = 0; step < config.NumIters; step++)
            {
                system.Drift((float)h);
                system.ComputeForce(k0, (float)cap);
                double power = system.Kick((float)h, gamma, config.Fire, (float)alpha);
                system.SwapAcceleration();
                if (config.Fire)
                {
                    if (power >= 0)
                    {
                        positive++;
                        if (positive > config.NMin)
                        {
                            h = Math.Min(h * config.FInc, hMax);
                            alpha *= config.FAlpha;
                        }
                        if (positive % config.CapUpscaleEvery == 0) cap *= config.CapScale;
                    }
                    else
                    {
                        positive = 0;
                        h *= config.FDec;
                        alpha = config.Alpha;
                        system.StopAll();
                    }
                    cap = Math.Min(cap, config.FinalCap);
                }
                if (config.RemoveDrift) system.RemoveDrift();
            }
            t += config.NumIters;
            var (energy, maxSpeed) = system.KineticEnergy();
            energies.Add(energy);
            if (maxSpeed < config.StopVMax)
            {
                // At rest with no tether force clipped, a larger cap changes no force: SOFIMA would grow the
                // cap chunk by chunk without moving; we stop at once (same positions, up to rest noise).
                if (cap >= config.FinalCap || !system.TetherClipped(k0, (float)cap)) break;
                cap = Math.Min(cap * config.CapScale, config.FinalCap);
            }
        }
        return t;
    }
}
