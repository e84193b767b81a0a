using EmAlign.Diagnostics;

namespace EmAlign.Mesh;

/// <summary>
/// Settings of the elastic-mesh integrator (SOFIMA IntegrationConfig, spec §4.4). Units: time is the
/// integrator's own (masses are 1, so force = acceleration); lengths and strides are pixels; spring
/// constants are per pixel of stretch. Fields without a default are required, as in SOFIMA;
/// <see cref="Em2d"/> and <see cref="Em2dCrossBlock"/> are the em_2d presets (spec §6.10).
/// </summary>
public sealed record IntegrationConfig
{
    /// <summary>Base time step.</summary>
    public required double Dt { get; init; }

    /// <summary>Velocity damping γ of the Verlet integrator (use 0 with FIRE).</summary>
    public required double Gamma { get; init; }

    /// <summary>Tether (inter-section) spring constant: the pull of each node toward its target.</summary>
    public required double K0 { get; init; }

    /// <summary>In-plane spring constant of the axis springs (diagonals use K/√2).</summary>
    public required double K { get; init; }

    /// <summary>Mesh spacing along x, pixels.</summary>
    public required double StrideX { get; init; }

    /// <summary>Mesh spacing along y, pixels.</summary>
    public required double StrideY { get; init; }

    /// <summary>Steps per chunk; the convergence test runs between chunks.</summary>
    public required int NumIters { get; init; }

    /// <summary>Upper bound on the total steps (the last chunk may overshoot it).</summary>
    public required long MaxIters { get; init; }

    /// <summary>Stop once the fastest node is slower than this (pixels per time unit) and the cap is final.</summary>
    public required double StopVMax { get; init; }

    /// <summary>Use FIRE (else damped velocity Verlet with a fixed step).</summary>
    public bool Fire { get; init; } = true;

    /// <summary>FIRE: α multiplier after <see cref="NMin"/> positive-power steps.</summary>
    public double FAlpha { get; init; } = 0.99;

    /// <summary>FIRE: time-step growth factor.</summary>
    public double FInc { get; init; } = 1.1;

    /// <summary>FIRE: time-step shrink factor when the power turns negative.</summary>
    public double FDec { get; init; } = 0.5;

    /// <summary>FIRE: initial (and reset) velocity mixing α.</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>FIRE: positive-power steps needed before the step and α change.</summary>
    public int NMin { get; init; } = 5;

    /// <summary>FIRE: time-step ceiling in units of <see cref="Dt"/>.</summary>
    public double DtMax { get; init; } = 10.0;

    /// <summary>Starting cap on each component of the tether force.</summary>
    public double StartCap { get; init; } = 1e6;

    /// <summary>Largest tether-force cap.</summary>
    public double FinalCap { get; init; } = 1e6;

    /// <summary>Cap growth factor (must exceed 1 when the start and final caps differ).</summary>
    public double CapScale { get; init; } = 1.1;

    /// <summary>Positive-power FIRE steps between cap increases.</summary>
    public int CapUpscaleEvery { get; init; } = 100;

    /// <summary>Anti-fold springs that push swapped neighbours back into their original order (spec §4.2).</summary>
    public bool PreferOrigOrder { get; init; }

    /// <summary>Each step, subtract the mean position and velocity of the known nodes.</summary>
    public bool RemoveDrift { get; init; }

    /// <summary>em_2d within-block RelaxMesh settings (spec §6.10): stride 40, k0 0.01, k 0.1, FIRE, cap 0.01 → 10.</summary>
    public static IntegrationConfig Em2d { get; } = new()
    {
        Dt = 0.001,
        Gamma = 0.0,
        K0 = 0.01,
        K = 0.1,
        StrideX = 40,
        StrideY = 40,
        NumIters = 1000,
        MaxIters = 100_000,
        StopVMax = 0.005,
        DtMax = 1000,
        StartCap = 0.01,
        FinalCap = 10,
        PreferOrigOrder = true,
    };

    /// <summary>em_2d cross-block settings (spec §6.10): as <see cref="Em2d"/> with k0 0.001, stride 320, stop_v_max 0.001.</summary>
    public static IntegrationConfig Em2dCrossBlock { get; } = Em2d with { K0 = 0.001, StrideX = 320, StrideY = 320, StopVMax = 0.001 };

    /// <summary>Checks the settings; throws <see cref="EmAlignException"/> naming the field.</summary>
    public void Validate()
    {
        Require(Dt > 0 && double.IsFinite(Dt), nameof(Dt), Dt, "a positive time step");
        Require(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "a damping >= 0");
        Require(K0 >= 0 && double.IsFinite(K0), nameof(K0), K0, "a spring constant >= 0");
        Require(K >= 0 && double.IsFinite(K), nameof(K), K, "a spring constant >= 0");
        Require(StrideX > 0 && double.IsFinite(StrideX), nameof(StrideX), StrideX, "a positive pixel spacing");
        Require(StrideY > 0 && double.IsFinite(StrideY), nameof(StrideY), StrideY, "a positive pixel spacing");
        Require(NumIters >= 1, nameof(NumIters), NumIters, "at least 1 step per chunk");
        Require(MaxIters >= 1, nameof(MaxIters), MaxIters, "at least 1 step");
        Require(StopVMax > 0, nameof(StopVMax), StopVMax, "a positive speed");
        Require(DtMax > 0, nameof(DtMax), DtMax, "a positive multiple of Dt");
        Require(StartCap > 0 && FinalCap > 0, nameof(StartCap), StartCap, "positive start and final caps");
        Require(NMin >= 0, nameof(NMin), NMin, "a count >= 0");
        Require(CapUpscaleEvery >= 1, nameof(CapUpscaleEvery), CapUpscaleEvery, "a count >= 1");
        if (StartCap != FinalCap)
        {
            if (!Fire)
                throw new EmAlignException($"A growing tether cap (StartCap {StartCap} != FinalCap {FinalCap}) is implemented for FIRE only; set Fire or make the caps equal.", nameof(StartCap));
            Require(CapScale > 1, nameof(CapScale), CapScale, "a factor > 1 when StartCap != FinalCap");
        }
    }

    private static void Require(bool ok, string name, object found, string expected)
    {
        if (!ok) throw new EmAlignException($"IntegrationConfig.{name} is {found}; expected {expected}.", name);
    }
}
