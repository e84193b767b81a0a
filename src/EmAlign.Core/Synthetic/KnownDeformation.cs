namespace EmAlign.Synthetic;

/// <summary>
/// A known in-plane deformation of one section, for tests, benchmarks and the demo: a rigid part
/// (rotation about the image centre, then shift) plus a smooth random elastic field.
/// <see cref="Map"/> sends a pixel of the DEFORMED image to the position in the ORIGINAL image it shows,
/// so deformed(x, y) = original(Map(x, y)). Pixel coordinates: integers are pixel centres.
/// </summary>
public sealed class KnownDeformation
{
    private readonly float[] _ex, _ey;
    private readonly int _gw, _gh;
    private readonly double _spacing;
    private readonly double _cos, _sin, _cx, _cy;

    /// <summary>Identity-plus-nothing deformation.</summary>
    public static KnownDeformation Identity(int width, int height) => new(width, height, 0, 0, 0, 0, 150, 0);

    /// <param name="shiftX">Rigid shift in pixels.</param>
    /// <param name="rotationDegrees">Rotation about the image centre.</param>
    /// <param name="elasticAmplitude">Largest elastic displacement, pixels.</param>
    /// <param name="correlationLength">Length over which the elastic field varies, pixels.</param>
    public KnownDeformation(int width, int height, double shiftX, double shiftY, double rotationDegrees,
        double elasticAmplitude, double correlationLength, int seed)
    {
        Width = width; Height = height; ShiftX = shiftX; ShiftY = shiftY; RotationDegrees = rotationDegrees;
        ElasticAmplitude = elasticAmplitude; CorrelationLength = correlationLength;
        double a = rotationDegrees * Math.PI / 180;
        _cos = Math.Cos(a); _sin = Math.Sin(a);
        _cx = (width - 1) / 2.0; _cy = (height - 1) / 2.0;
        _spacing = 8;
        _gw = (int)Math.Ceiling(width / _spacing) + 2;
        _gh = (int)Math.Ceiling(height / _spacing) + 2;
        _ex = SmoothField(seed * 2 + 1);
        _ey = SmoothField(seed * 2 + 2);
        float max = 0;
        for (int i = 0; i < _ex.Length; i++) max = Math.Max(max, MathF.Sqrt(_ex[i] * _ex[i] + _ey[i] * _ey[i]));
        float scale = max > 0 ? (float)(elasticAmplitude / max) : 0;
        for (int i = 0; i < _ex.Length; i++) { _ex[i] *= scale; _ey[i] *= scale; }
    }

    public int Width { get; }
    public int Height { get; }
    public double ShiftX { get; }
    public double ShiftY { get; }
    public double RotationDegrees { get; }
    public double ElasticAmplitude { get; }
    public double CorrelationLength { get; }

    /// <summary>Draws a deformation with shift up to <paramref name="maxShift"/>, rotation up to <paramref name="maxRotationDegrees"/>.</summary>
    public static KnownDeformation Random(int width, int height, Random rng, double maxShift, double maxRotationDegrees, double elasticAmplitude, double correlationLength)
    {
        double Sym(double m) => (rng.NextDouble() * 2 - 1) * m;
        return new KnownDeformation(width, height, Sym(maxShift), Sym(maxShift), Sym(maxRotationDegrees), elasticAmplitude * (0.5 + 0.5 * rng.NextDouble()), correlationLength, rng.Next());
    }

    /// <summary>Where deformed pixel (x, y) comes from in the original image.</summary>
    public (double X, double Y) Map(double x, double y)
    {
        var (ex, ey) = Elastic(x, y);
        double dx = x - _cx, dy = y - _cy;
        return (_cx + _cos * dx - _sin * dy + ShiftX + ex, _cy + _sin * dx + _cos * dy + ShiftY + ey);
    }

    /// <summary>Renders the deformed image of <paramref name="original"/> (width x height) by bicubic sampling; outside reads 0.</summary>
    public float[] Apply(ReadOnlySpan<float> original)
    {
        var src = original.ToArray();
        var dst = new float[Width * Height];
        Parallel.For(0, Height, y =>
        {
            for (int x = 0; x < Width; x++)
            {
                var (u, v) = Map(x, y);
                dst[y * Width + x] = SampleCubic(src, Width, Height, u, v);
            }
        });
        return dst;
    }

    private (double X, double Y) Elastic(double x, double y)
    {
        double gx = x / _spacing + 1, gy = y / _spacing + 1;
        int ix = Math.Clamp((int)Math.Floor(gx), 0, _gw - 2), iy = Math.Clamp((int)Math.Floor(gy), 0, _gh - 2);
        double fx = Math.Clamp(gx - ix, 0, 1), fy = Math.Clamp(gy - iy, 0, 1);
        int i = iy * _gw + ix;
        double Lerp(float[] f) => (f[i] * (1 - fx) + f[i + 1] * fx) * (1 - fy) + (f[i + _gw] * (1 - fx) + f[i + _gw + 1] * fx) * fy;
        return (Lerp(_ex), Lerp(_ey));
    }

    private float[] SmoothField(int seed)
    {
        var rng = new Random(seed);
        var f = new float[_gw * _gh];
        for (int i = 0; i < f.Length; i++) f[i] = (float)(rng.NextDouble() * 2 - 1);
        Numerics.GaussianBlur.Apply(f, _gw, _gh, CorrelationLength / _spacing / 2);
        return f;
    }

    /// <summary>Catmull-Rom bicubic sample; positions outside the image read 0.</summary>
    public static float SampleCubic(float[] img, int w, int h, double x, double y)
    {
        if (x < -1 || y < -1 || x > w || y > h) return 0;
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double fx = x - x0, fy = y - y0;
        Span<double> wx = stackalloc double[4], wy = stackalloc double[4];
        CatmullRom(fx, wx); CatmullRom(fy, wy);
        double acc = 0;
        for (int j = 0; j < 4; j++)
        {
            int yy = y0 - 1 + j;
            if ((uint)yy >= (uint)h) continue;
            double row = 0;
            for (int i = 0; i < 4; i++)
            {
                int xx = x0 - 1 + i;
                if ((uint)xx < (uint)w) row += wx[i] * img[yy * w + xx];
            }
            acc += wy[j] * row;
        }
        return (float)acc;
    }

    private static void CatmullRom(double t, Span<double> w)
    {
        double t2 = t * t, t3 = t2 * t;
        w[0] = -0.5 * t3 + t2 - 0.5 * t;
        w[1] = 1.5 * t3 - 2.5 * t2 + 1;
        w[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
        w[3] = 0.5 * t3 - 0.5 * t2;
    }
}
