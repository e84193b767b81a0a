namespace EmAlign.Synthetic;

/// <summary>
/// Generates EM-like serial sections: cell membranes (dark Voronoi boundaries of slowly drifting seeds),
/// mitochondria-like dark ellipses with cristae, vesicles, cytoplasm texture and shot noise. Structures
/// change slowly from section to section, as in 40-50 nm serial sections, so neighbours correlate.
/// Images are float32 intensities in [0, 255], row-major (y, x), x fastest.
/// </summary>
public sealed class SyntheticEmStack
{
    private readonly int _seed;
    private readonly (double X, double Y, double Vx, double Vy)[] _cells;
    private readonly (double X, double Y, double A, double B, double Angle, double Vx, double Vy)[] _mitos;
    private readonly (double X, double Y, double R)[] _vesicles;
    private readonly double _cellSpacing;

    public SyntheticEmStack(int width, int height, int seed = 1, double cellSpacing = 48)
    {
        Width = width;
        Height = height;
        _seed = seed;
        _cellSpacing = cellSpacing;
        var rng = new Random(seed);
        var cells = new List<(double, double, double, double)>();
        for (double y = -cellSpacing; y < height + cellSpacing; y += cellSpacing)
            for (double x = -cellSpacing; x < width + cellSpacing; x += cellSpacing)
                cells.Add((x + (rng.NextDouble() - 0.5) * cellSpacing * 0.9, y + (rng.NextDouble() - 0.5) * cellSpacing * 0.9,
                    (rng.NextDouble() - 0.5) * 3, (rng.NextDouble() - 0.5) * 3));
        _cells = [.. cells];
        int nm = Math.Max(1, width * height / 9000);
        _mitos = new (double, double, double, double, double, double, double)[nm];
        for (int i = 0; i < nm; i++)
            _mitos[i] = (rng.NextDouble() * width, rng.NextDouble() * height, 8 + rng.NextDouble() * 14, 5 + rng.NextDouble() * 5,
                rng.NextDouble() * Math.PI, (rng.NextDouble() - 0.5) * 2, (rng.NextDouble() - 0.5) * 2);
        int nv = Math.Max(1, width * height / 1500);
        _vesicles = new (double, double, double)[nv];
        for (int i = 0; i < nv; i++) _vesicles[i] = (rng.NextDouble() * width, rng.NextDouble() * height, 1.5 + rng.NextDouble() * 2.5);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Renders clean section <paramref name="z"/> into a new Width x Height image.</summary>
    public float[] RenderSection(int z)
    {
        var img = new float[Width * Height];
        var seeds = new (double X, double Y)[_cells.Length];
        for (int i = 0; i < seeds.Length; i++) seeds[i] = (_cells[i].X + _cells[i].Vx * z, _cells[i].Y + _cells[i].Vy * z);
        // Bucket seeds on a grid of the cell spacing so each pixel checks only nearby seeds.
        double s = _cellSpacing;
        int gw = (int)Math.Ceiling((Width + 4 * s) / s) + 1, gh = (int)Math.Ceiling((Height + 4 * s) / s) + 1;
        var buckets = new List<int>[gw * gh];
        for (int i = 0; i < seeds.Length; i++)
        {
            int bx = (int)Math.Floor((seeds[i].X + 2 * s) / s), by = (int)Math.Floor((seeds[i].Y + 2 * s) / s);
            if ((uint)bx < (uint)gw && (uint)by < (uint)gh) (buckets[by * gw + bx] ??= []).Add(i);
        }
        Parallel.For(0, Height, y =>
        {
            for (int x = 0; x < Width; x++)
            {
                int bx = (int)Math.Floor((x + 2 * s) / s), by = (int)Math.Floor((y + 2 * s) / s);
                double d1 = double.MaxValue, d2 = double.MaxValue;
                int nearest = 0;
                for (int yy = by - 2; yy <= by + 2; yy++)
                    for (int xx = bx - 2; xx <= bx + 2; xx++)
                    {
                        if ((uint)xx >= (uint)gw || (uint)yy >= (uint)gh || buckets[yy * gw + xx] is not { } list) continue;
                        foreach (var i in list)
                        {
                            double dx = x - seeds[i].X, dy = y - seeds[i].Y, d = Math.Sqrt(dx * dx + dy * dy);
                            if (d < d1) { d2 = d1; d1 = d; nearest = i; } else if (d < d2) d2 = d;
                        }
                    }
                double gap = (d2 - d1) * 0.5;
                double cyto = 165 + 18 * ((nearest * 7919) % 11 - 5) / 5.0 + 10 * Math.Sin(x * 0.21 + y * 0.13 + z * 0.3) * Math.Sin(y * 0.17 - x * 0.05);
                double v = cyto - 105 * Math.Exp(-gap * gap / 3.0);
                img[y * Width + x] = (float)v;
            }
        });
        foreach (var m in _mitos)
        {
            double cx = m.X + m.Vx * z, cy = m.Y + m.Vy * z, ca = Math.Cos(m.Angle), sa = Math.Sin(m.Angle);
            double shrink = 0.75 + 0.25 * Math.Cos(z * 0.25 + m.X);
            double a = m.A * shrink, b = m.B * shrink;
            int r = (int)Math.Ceiling(a) + 2;
            for (int y = Math.Max(0, (int)cy - r); y < Math.Min(Height, (int)cy + r + 1); y++)
                for (int x = Math.Max(0, (int)cx - r); x < Math.Min(Width, (int)cx + r + 1); x++)
                {
                    double u = ((x - cx) * ca + (y - cy) * sa) / a, w = (-(x - cx) * sa + (y - cy) * ca) / b;
                    double q = u * u + w * w;
                    if (q > 1.3) continue;
                    double edge = Math.Clamp((1.3 - q) / 0.3, 0, 1);
                    double inside = 95 + 25 * Math.Sin(u * a * 1.1);
                    ref float px = ref img[y * Width + x];
                    px = (float)(px * (1 - edge) + (q > 1 ? 55 : inside) * edge);
                }
        }
        foreach (var v in _vesicles)
        {
            double phase = Math.Cos(z * 0.7 + v.X * 0.1);
            if (phase < 0) continue;
            int r = (int)Math.Ceiling(v.R) + 1;
            for (int y = Math.Max(0, (int)v.Y - r); y < Math.Min(Height, (int)v.Y + r + 1); y++)
                for (int x = Math.Max(0, (int)v.X - r); x < Math.Min(Width, (int)v.X + r + 1); x++)
                {
                    double d = Math.Sqrt((x - v.X) * (x - v.X) + (y - v.Y) * (y - v.Y));
                    if (Math.Abs(d - v.R) < 0.9) img[y * Width + x] -= (float)(60 * phase);
                }
        }
        // Shot noise, reproducible per (seed, z, pixel).
        Parallel.For(0, Height, y =>
        {
            for (int x = 0; x < Width; x++)
            {
                ulong h = Hash((ulong)_seed, (ulong)z, (ulong)(y * Width + x));
                double n = ((h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + ((h >> 48) & 0xFFFF)) / 65536.0 - 2.0;
                ref float px = ref img[y * Width + x];
                px = Math.Clamp(px + (float)(n * 14), 0f, 255f);
            }
        });
        return img;
    }

    private static ulong Hash(ulong a, ulong b, ulong c)
    {
        ulong h = a * 0x9E3779B97F4A7C15UL ^ b * 0xC2B2AE3D27D4EB4FUL ^ c * 0x165667B19E3779F9UL;
        h ^= h >> 33; h *= 0xFF51AFD7ED558CCDUL; h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53UL; h ^= h >> 33;
        return h;
    }
}
