using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EmAlign.Maps;

namespace EmAlign.Mesh;

/// <summary>
/// The state of one relaxation (positions, velocities, accelerations, targets) for one or more
/// sections of a W×H node grid, in SIMD-friendly padded float32 arrays, and the force and
/// integrator kernels (spec §4.2, §4.5, §4.6).
/// </summary>
/// <remarks>
/// Layout: section s occupies [s·Block, (s+1)·Block); node k (row-major, x fastest) sits at
/// s·Block + Lead + k. The lead and tail padding hold NaN positions and zero velocities, so springs
/// to padding nodes give no force (non-finite forces are zeroed) and the kernels can run whole
/// vectors over the flattened grid without tail loops. Springs that would wrap from the end of one
/// row to the start of the next are switched off by a per-column mask.
/// </remarks>
internal sealed class MeshSystem
{
    private static readonly int VectorWidth = Vector<float>.Count;

    private readonly int _width;
    private readonly int _nodes;
    private readonly int _rounded;
    private readonly int _lead;
    private readonly float[] _columnMask;

    // Spring forces of one section, per family: the force on the spring's B end (A gets the negative).
    private readonly float[] _hx, _hy, _vx, _vy, _dx, _dy, _ax, _ay;

    public MeshSystem(int width, int height, int sections, double strideX, double strideY, double k, bool preferOrigOrder)
    {
        _width = width;
        _nodes = width * height;
        Sections = sections;
        _rounded = (_nodes + VectorWidth - 1) / VectorWidth * VectorWidth;
        _lead = width + 1;
        Block = _lead + _rounded + width + 2 + VectorWidth;
        StrideX = (float)strideX;
        StrideY = (float)strideY;
        K = (float)k;
        PreferOrigOrder = preferOrigOrder;
        _columnMask = new float[_rounded];
        for (int n = 0; n < _nodes; n++) _columnMask[n] = n % width == width - 1 ? 0f : 1f;

        int total = Block * sections;
        X = new float[total];
        Y = new float[total];
        VX = new float[total];
        VY = new float[total];
        AX = new float[total];
        AY = new float[total];
        NewAX = new float[total];
        NewAY = new float[total];
        TargetX = new float[total];
        TargetY = new float[total];
        Array.Fill(X, float.NaN);
        Array.Fill(Y, float.NaN);
        Array.Fill(TargetX, float.NaN);
        Array.Fill(TargetY, float.NaN);
        _hx = new float[Block];
        _hy = new float[Block];
        _vx = new float[Block];
        _vy = new float[Block];
        _dx = new float[Block];
        _dy = new float[Block];
        _ax = new float[Block];
        _ay = new float[Block];
    }

    public int Sections { get; }

    public int Block { get; }

    public float StrideX { get; }

    public float StrideY { get; }

    public float K { get; }

    public bool PreferOrigOrder { get; }

    public float[] X { get; }

    public float[] Y { get; }

    public float[] VX { get; }

    public float[] VY { get; }

    public float[] AX { get; private set; }

    public float[] AY { get; private set; }

    public float[] NewAX { get; private set; }

    public float[] NewAY { get; private set; }

    public float[] TargetX { get; }

    public float[] TargetY { get; }

    /// <summary>Index of node <paramref name="k"/> of section <paramref name="s"/> in the state arrays.</summary>
    public int Index(int s, int k) => s * Block + _lead + k;

    /// <summary>Loads positions (and targets, when given) from maps on this grid.</summary>
    public void Load(CoordinateMap positions, CoordinateMap? targets)
    {
        for (int s = 0; s < Sections; s++)
        {
            positions.Dx(s).CopyTo(X.AsSpan(Index(s, 0), _nodes));
            positions.Dy(s).CopyTo(Y.AsSpan(Index(s, 0), _nodes));
            if (targets is null) continue;
            targets.Dx(s).CopyTo(TargetX.AsSpan(Index(s, 0), _nodes));
            targets.Dy(s).CopyTo(TargetY.AsSpan(Index(s, 0), _nodes));
        }
    }

    /// <summary>Copies node values of two state arrays into a map on this grid.</summary>
    public void Store(float[] xs, float[] ys, CoordinateMap destination)
    {
        for (int s = 0; s < Sections; s++)
        {
            xs.AsSpan(Index(s, 0), _nodes).CopyTo(destination.Dx(s));
            ys.AsSpan(Index(s, 0), _nodes).CopyTo(destination.Dy(s));
        }
    }

    /// <summary>
    /// Total force (spec §4.5) at the current positions into <see cref="NewAX"/>/<see cref="NewAY"/>:
    /// in-plane springs plus the tether −k0·(x − target), zeroed where x or the target is unknown and
    /// clipped per component to ±<paramref name="cap"/>.
    /// </summary>
    public void ComputeForce(float k0, float cap)
    {
        for (int s = 0; s < Sections; s++)
        {
            SpringForces(s);
            Gather(s, k0, cap);
        }
    }

    /// <summary>Makes the freshly computed force the current acceleration.</summary>
    public void SwapAcceleration()
    {
        (AX, NewAX) = (NewAX, AX);
        (AY, NewAY) = (NewAY, AY);
    }

    /// <summary>Position update x += h·v + ½h²·a over every section (padding stays NaN).</summary>
    public void Drift(float h)
    {
        float hh = 0.5f * h * h;
        var vh = new Vector<float>(h);
        var vhh = new Vector<float>(hh);
        Advance(X, VX, AX, vh, vhh);
        Advance(Y, VY, AY, vh, vhh);
    }

    private static void Advance(float[] x, float[] v, float[] a, Vector<float> h, Vector<float> hh)
    {
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float rv = ref MemoryMarshal.GetArrayDataReference(v);
        ref float ra = ref MemoryMarshal.GetArrayDataReference(a);
        int n = x.Length - x.Length % VectorWidth;
        for (int i = 0; i < n; i += VectorWidth)
        {
            var p = Vector.LoadUnsafe(ref rx, (nuint)i) + h * Vector.LoadUnsafe(ref rv, (nuint)i) + hh * Vector.LoadUnsafe(ref ra, (nuint)i);
            p.StoreUnsafe(ref rx, (nuint)i);
        }
        for (int i = n; i < x.Length; i++) x[i] += h[0] * v[i] + hh[0] * a[i];
    }

    /// <summary>
    /// Velocity update of damped velocity Verlet, v ← [(1 − ½γh)·v + ½h·(a + a_new)] / (1 + ½γh), then
    /// (FIRE) the power P = Σ a_new·v over every node and section, and the per-node mixing
    /// v ← (1 − α)·v + α·|v|·a_new/(|a_new| + 1e-6). Returns P (0 without FIRE).
    /// </summary>
    public double Kick(float h, float gamma, bool fire, float alpha)
    {
        var c1 = new Vector<float>(1 - 0.5f * gamma * h);
        var inv2 = new Vector<float>(1 / (1 + 0.5f * gamma * h));
        var half = new Vector<float>(0.5f * h);
        var keep = new Vector<float>(1 - alpha);
        var mix = new Vector<float>(alpha);
        var tiny = new Vector<float>(1e-6f);
        ref float vx = ref MemoryMarshal.GetArrayDataReference(VX);
        ref float vy = ref MemoryMarshal.GetArrayDataReference(VY);
        ref float ax = ref MemoryMarshal.GetArrayDataReference(AX);
        ref float ay = ref MemoryMarshal.GetArrayDataReference(AY);
        ref float nx = ref MemoryMarshal.GetArrayDataReference(NewAX);
        ref float ny = ref MemoryMarshal.GetArrayDataReference(NewAY);
        double power = 0;
        for (int s = 0; s < Sections; s++)
        {
            var acc = Vector<float>.Zero;
            int start = Index(s, 0);
            for (int i = start; i < start + _rounded; i += VectorWidth)
            {
                var anx = Vector.LoadUnsafe(ref nx, (nuint)i);
                var any = Vector.LoadUnsafe(ref ny, (nuint)i);
                var ux = (c1 * Vector.LoadUnsafe(ref vx, (nuint)i) + half * (Vector.LoadUnsafe(ref ax, (nuint)i) + anx)) * inv2;
                var uy = (c1 * Vector.LoadUnsafe(ref vy, (nuint)i) + half * (Vector.LoadUnsafe(ref ay, (nuint)i) + any)) * inv2;
                if (fire)
                {
                    acc += anx * ux + any * uy;
                    var speed = Vector.SquareRoot(ux * ux + uy * uy);
                    var scale = mix * speed / (Vector.SquareRoot(anx * anx + any * any) + tiny);
                    ux = keep * ux + scale * anx;
                    uy = keep * uy + scale * any;
                }
                ux.StoreUnsafe(ref vx, (nuint)i);
                uy.StoreUnsafe(ref vy, (nuint)i);
            }
            power += Vector.Sum(acc);
        }
        return power;
    }

    /// <summary>Sets every velocity to zero (FIRE restart).</summary>
    public void StopAll()
    {
        Array.Clear(VX);
        Array.Clear(VY);
    }

    /// <summary>Σ|v|² over all nodes, and the largest node speed.</summary>
    public (double Energy, double MaxSpeed) KineticEnergy()
    {
        double energy = 0, max2 = 0;
        for (int s = 0; s < Sections; s++)
        {
            int start = Index(s, 0);
            for (int i = start; i < start + _nodes; i++)
            {
                double e = (double)VX[i] * VX[i] + (double)VY[i] * VY[i];
                energy += e;
                max2 = Math.Max(max2, e);
            }
        }
        return (energy, Math.Sqrt(max2));
    }

    /// <summary>True when some node's tether force −k0·(x − target) has a component beyond ±<paramref name="cap"/>.</summary>
    public bool TetherClipped(float k0, float cap)
    {
        for (int s = 0; s < Sections; s++)
        {
            for (int i = Index(s, 0); i < Index(s, _nodes); i++)
            {
                float fx = k0 * (TargetX[i] - X[i]), fy = k0 * (TargetY[i] - Y[i]);
                if (Math.Abs(fx) > cap || Math.Abs(fy) > cap) return true; // NaN compares false: no tether
            }
        }
        return false;
    }

    /// <summary>Subtracts the mean position and mean velocity of the known nodes (all sections pooled).</summary>
    public void RemoveDrift()
    {
        double sx = 0, sy = 0, svx = 0, svy = 0;
        long count = 0;
        for (int s = 0; s < Sections; s++)
        {
            for (int i = Index(s, 0); i < Index(s, _nodes); i++)
            {
                if (!float.IsFinite(X[i]) || !float.IsFinite(Y[i])) continue;
                sx += X[i];
                sy += Y[i];
                svx += VX[i];
                svy += VY[i];
                count++;
            }
        }
        if (count == 0) return;
        float mx = (float)(sx / count), my = (float)(sy / count), mvx = (float)(svx / count), mvy = (float)(svy / count);
        for (int s = 0; s < Sections; s++)
        {
            for (int i = Index(s, 0); i < Index(s, _nodes); i++)
            {
                if (!float.IsFinite(X[i]) || !float.IsFinite(Y[i])) continue;
                X[i] -= mx;
                Y[i] -= my;
                VX[i] -= mvx;
                VY[i] -= mvy;
            }
        }
    }

    /// <summary>
    /// The four spring families of section <paramref name="s"/> (spec §4.2), spring k starting at node k:
    /// horizontal k → k+1 (rest (sx, 0)), vertical k → k+W (rest (0, sy)), diagonal k → k+W+1
    /// (rest (sx, sy)) and anti-diagonal k+1 → k+W (rest (−sx, sy)); diagonals have κ = k/√2.
    /// </summary>
    private void SpringForces(int s)
    {
        int w = _width;
        int baseIndex = Index(s, 0);
        float diagonalRest = MathF.Sqrt(StrideX * StrideX + StrideY * StrideY);
        float diagonalK = K / MathF.Sqrt(2f);
        var sx = new Vector<float>(StrideX);
        var sy = new Vector<float>(StrideY);
        ref float rx = ref MemoryMarshal.GetArrayDataReference(X);
        ref float ry = ref MemoryMarshal.GetArrayDataReference(Y);
        ref float mask = ref MemoryMarshal.GetArrayDataReference(_columnMask);
        bool prefer = PreferOrigOrder;
        for (int k = 0; k < _rounded; k += VectorWidth)
        {
            nuint i0 = (nuint)(baseIndex + k), i1 = i0 + 1, iw = i0 + (nuint)w, iw1 = iw + 1;
            var x0 = Vector.LoadUnsafe(ref rx, i0);
            var y0 = Vector.LoadUnsafe(ref ry, i0);
            var x1 = Vector.LoadUnsafe(ref rx, i1);
            var y1 = Vector.LoadUnsafe(ref ry, i1);
            var xw = Vector.LoadUnsafe(ref rx, iw);
            var yw = Vector.LoadUnsafe(ref ry, iw);
            var xw1 = Vector.LoadUnsafe(ref rx, iw1);
            var yw1 = Vector.LoadUnsafe(ref ry, iw1);
            var m = Vector.LoadUnsafe(ref mask, (nuint)k);
            nuint o = (nuint)(_lead + k);

            Spring(x1 - x0 + sx, y1 - y0, StrideX, m * K, prefer, SignMode.X, out var fx, out var fy);
            fx.StoreUnsafe(ref _hx[0], o);
            fy.StoreUnsafe(ref _hy[0], o);
            Spring(xw - x0, yw - y0 + sy, StrideY, new Vector<float>(K), prefer, SignMode.Y, out fx, out fy);
            fx.StoreUnsafe(ref _vx[0], o);
            fy.StoreUnsafe(ref _vy[0], o);
            Spring(xw1 - x0 + sx, yw1 - y0 + sy, diagonalRest, m * diagonalK, prefer, SignMode.Both, out fx, out fy);
            fx.StoreUnsafe(ref _dx[0], o);
            fy.StoreUnsafe(ref _dy[0], o);
            Spring(xw - x1 - sx, yw - y1 + sy, diagonalRest, m * diagonalK, prefer, SignMode.BothNegX, out fx, out fy);
            fx.StoreUnsafe(ref _ax[0], o);
            fy.StoreUnsafe(ref _ay[0], o);
        }
    }

    private enum SignMode { X, Y, Both, BothNegX }

    /// <summary>
    /// Force on the B end of springs with separation d: −κ·(1 − ℓ·σ/L)·d per component, where σ is 1,
    /// or with <paramref name="prefer"/> the family's sign of d (spec §4.2). Non-finite results are 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spring(Vector<float> dx, Vector<float> dy, float rest, Vector<float> kappa, bool prefer, SignMode mode,
        out Vector<float> fx, out Vector<float> fy)
    {
        var restOverLength = new Vector<float>(rest) / Vector.SquareRoot(dx * dx + dy * dy);
        var one = Vector<float>.One;
        Vector<float> cx, cy;
        if (!prefer)
        {
            cx = cy = restOverLength - one;
        }
        else
        {
            cx = mode switch
            {
                SignMode.Y => restOverLength,
                SignMode.BothNegX => -restOverLength * Sign(dx),
                _ => restOverLength * Sign(dx),
            } - one;
            cy = (mode == SignMode.X ? restOverLength : restOverLength * Sign(dy)) - one;
        }
        fx = Finite(kappa * cx * dx);
        fy = Finite(kappa * cy * dy);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Sign(Vector<float> v) =>
        Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero)
        - Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Finite(Vector<float> v) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), new Vector<float>(float.PositiveInfinity)), v, Vector<float>.Zero);

    /// <summary>
    /// Sums the spring forces on each node of section <paramref name="s"/> (each spring pushes its B
    /// end by f and its A end by −f) and adds the capped tether, into NewAX/NewAY.
    /// </summary>
    private void Gather(int s, float k0, float cap)
    {
        int w = _width;
        int baseIndex = Index(s, 0);
        var vk0 = new Vector<float>(k0);
        var hi = new Vector<float>(cap);
        var lo = new Vector<float>(-cap);
        ref float rx = ref MemoryMarshal.GetArrayDataReference(X);
        ref float ry = ref MemoryMarshal.GetArrayDataReference(Y);
        ref float tx = ref MemoryMarshal.GetArrayDataReference(TargetX);
        ref float ty = ref MemoryMarshal.GetArrayDataReference(TargetY);
        ref float outX = ref MemoryMarshal.GetArrayDataReference(NewAX);
        ref float outY = ref MemoryMarshal.GetArrayDataReference(NewAY);
        for (int k = 0; k < _rounded; k += VectorWidth)
        {
            nuint m = (nuint)(_lead + k), m1 = m - 1, mw = m - (nuint)w, mw1 = mw - 1;
            var fx = Vector.LoadUnsafe(ref _hx[0], m1) - Vector.LoadUnsafe(ref _hx[0], m)
                   + Vector.LoadUnsafe(ref _vx[0], mw) - Vector.LoadUnsafe(ref _vx[0], m)
                   + Vector.LoadUnsafe(ref _dx[0], mw1) - Vector.LoadUnsafe(ref _dx[0], m)
                   + Vector.LoadUnsafe(ref _ax[0], mw) - Vector.LoadUnsafe(ref _ax[0], m1);
            var fy = Vector.LoadUnsafe(ref _hy[0], m1) - Vector.LoadUnsafe(ref _hy[0], m)
                   + Vector.LoadUnsafe(ref _vy[0], mw) - Vector.LoadUnsafe(ref _vy[0], m)
                   + Vector.LoadUnsafe(ref _dy[0], mw1) - Vector.LoadUnsafe(ref _dy[0], m)
                   + Vector.LoadUnsafe(ref _ay[0], mw) - Vector.LoadUnsafe(ref _ay[0], m1);
            nuint g = (nuint)(baseIndex + k);
            var pullX = Vector.Min(Vector.Max(Finite(vk0 * (Vector.LoadUnsafe(ref tx, g) - Vector.LoadUnsafe(ref rx, g))), lo), hi);
            var pullY = Vector.Min(Vector.Max(Finite(vk0 * (Vector.LoadUnsafe(ref ty, g) - Vector.LoadUnsafe(ref ry, g))), lo), hi);
            (fx + pullX).StoreUnsafe(ref outX, g);
            (fy + pullY).StoreUnsafe(ref outY, g);
        }
    }
}
