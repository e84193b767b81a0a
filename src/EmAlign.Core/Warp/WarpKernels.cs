namespace EmAlign.Warp;

/// <summary>
/// Precomputed separable weights of the wide kernels: for each of <see cref="Steps"/> sub-pixel
/// positions t = q/Steps, 8 weights for the taps at offsets −(Taps/2 − 1) … Taps/2 from floor(u)
/// (unused trailing taps are 0). Positions are rounded to 1/256 px (OpenCV uses 1/32).
/// At t = 0 every kernel is an exact unit impulse, so integer positions reproduce the input.
/// </summary>
internal sealed class WarpKernel
{
    public const int Steps = 256;
    public const int Width = 8;

    private static readonly Lazy<WarpKernel> CubicKernel = new(() => new WarpKernel(4, Keys));
    private static readonly Lazy<WarpKernel> Lanczos3Kernel = new(() => new WarpKernel(6, x => Lanczos(x, 3), normalise: true));
    private static readonly Lazy<WarpKernel> Lanczos4Kernel = new(() => new WarpKernel(8, x => Lanczos(x, 4), normalise: true));

    private WarpKernel(int taps, Func<double, double> kernel, bool normalise = false)
    {
        Taps = taps;
        Weights = new float[Steps * Width];
        int first = -(taps / 2 - 1);
        for (int q = 0; q < Steps; q++)
        {
            var row = Weights.AsSpan(q * Width, Width);
            if (q == 0)
            {
                row[-first] = 1;
                continue;
            }
            double t = (double)q / Steps, sum = 0;
            var w = new double[taps];
            for (int o = 0; o < taps; o++)
            {
                w[o] = kernel(first + o - t);
                sum += w[o];
            }
            for (int o = 0; o < taps; o++) row[o] = (float)(normalise ? w[o] / sum : w[o]);
        }
    }

    /// <summary>Taps per axis.</summary>
    public int Taps { get; }

    /// <summary>Offset of the first tap from floor(u).</summary>
    public int First => -(Taps / 2 - 1);

    /// <summary>[Steps][8] weights.</summary>
    public float[] Weights { get; }

    public static WarpKernel For(WarpInterpolation interpolation) => interpolation switch
    {
        WarpInterpolation.Cubic => CubicKernel.Value,
        WarpInterpolation.Lanczos3 => Lanczos3Kernel.Value,
        WarpInterpolation.Lanczos4 => Lanczos4Kernel.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "Only the wide kernels have weight tables."),
    };

    /// <summary>Taps below and above floor(u) that an interpolation reads: (before, after).</summary>
    public static (int Before, int After) Reach(WarpInterpolation interpolation) => interpolation switch
    {
        WarpInterpolation.Nearest => (0, 1),
        WarpInterpolation.Linear => (0, 1),
        WarpInterpolation.Cubic => (1, 2),
        WarpInterpolation.Lanczos3 => (2, 3),
        _ => (3, 4),
    };

    /// <summary>Keys cubic convolution with a = −0.75.</summary>
    private static double Keys(double x)
    {
        const double a = -0.75;
        x = Math.Abs(x);
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    private static double Lanczos(double x, int a)
    {
        if (x == 0) return 1;
        if (Math.Abs(x) >= a) return 0;
        double px = Math.PI * x;
        return a * Math.Sin(px) * Math.Sin(px / a) / (px * px);
    }
}
