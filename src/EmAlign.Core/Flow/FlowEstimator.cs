using System.Numerics.Tensors;
using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Flow;

/// <summary>
/// Patch-based flow between two sections (SOFIMA flow_field, 2D). For grid entry (i, j) the post patch covers
/// [j S, j S + Q) x [i S, i S + Q) of the post image; the pre patch (size P) shares its centre. The integer
/// peak of the full linear cross-correlation gives the displacement f = p_pre - p_post (see <see cref="FlowField"/>
/// for the sign), with peak sharpness and peak ratio as channels 2 and 3.
/// <para>
/// SOFIMA quirks (spec 1.11): windows that would leave the image are moved back inside (kept); targeting offsets
/// are truncated toward zero (kept); the masked-NCC thresholds and the peak-2 exclusion are per patch, not per
/// batch (fixed, so results never depend on batching); the pre-mask fraction is measured over the pre patch's own
/// window rather than one starting at the post patch's corner (fixed; identical when pre and post sizes match).
/// </para>
/// </summary>
public static class FlowEstimator
{
    /// <summary>Entries per axis: floor((N - Q) / S) + 1 for a post image of length N (0 if N &lt; Q).</summary>
    public static (int Width, int Height) GridSize(int postWidth, int postHeight, FlowOptions options)
    {
        int q = options.EffectivePostPatchSize, s = options.Stride;
        int Count(int n) => n < q ? 0 : (n - q) / s + 1;
        return (Count(postWidth), Count(postHeight));
    }

    /// <summary>
    /// Estimates the flow from <paramref name="post"/> (moving section z) to <paramref name="pre"/> (reference
    /// section z - dz). Returns a <see cref="FlowLayout.VectorsStats"/> field on the raw patch grid (origin Q/2,
    /// stride S); use <see cref="FlowField.PadToNodeGrid"/> for mesh-node registration. Entries that were not
    /// selected, were too masked, or whose correlation has no positive peak (e.g. a blank patch) are NaN.
    /// </summary>
    public static FlowField Estimate(Image2D<float> pre, Image2D<float> post, FlowOptions? options = null, FlowInputs? inputs = null,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(post);
        options ??= new FlowOptions();
        options.Validate();
        inputs ??= new FlowInputs();
        int p = options.PatchSize, q = options.EffectivePostPatchSize, s = options.Stride;
        var (nx, ny) = GridSize(post.Width, post.Height, options);
        var flow = FlowField.CreateInvalid(nx, ny, s, FlowLayout.VectorsStats, q / 2, q / 2, p, q);
        if (nx == 0 || ny == 0) return flow;
        if (pre.Width < p || pre.Height < p)
            throw new ArgumentException($"The pre image ({pre.Width} x {pre.Height}) is smaller than PatchSize {p}.", nameof(pre));
        CheckCovers(inputs.PreMask, pre.Width, pre.Height, nameof(FlowInputs.PreMask));
        CheckCovers(inputs.PostMask, post.Width, post.Height, nameof(FlowInputs.PostMask));
        CheckCovers(inputs.Selection, nx, ny, nameof(FlowInputs.Selection));

        var plan = new Plan(pre, post, options, inputs, nx, ny);
        var selected = plan.Select();
        int total = selected.Count(b => b);
        if (total == 0) return flow;

        // Work items: runs of selected entries within a grid row, so a worker reuses the row's band transforms.
        int workers = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount;
        int chunksPerRow = Math.Clamp((4 * workers + ny - 1) / ny, 1, nx);
        int chunk = Math.Min(options.BatchSize, (nx + chunksPerRow - 1) / chunksPerRow);
        var items = new List<(int Row, int J0, int J1)>();
        for (int i = 0; i < ny; i++)
            for (int j0 = 0; j0 < nx; j0 += chunk)
                items.Add((i, j0, Math.Min(nx, j0 + chunk)));

        long done = 0;
        var po = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        plan.Run(items, selected, flow, po, count =>
        {
            long d = Interlocked.Add(ref done, count);
            progress?.Report(new ProgressInfo("Estimating flow", $"{d} of {total} patches", d, total));
        });
        return flow;
    }

    private static void CheckCovers(Image2D<bool>? mask, int width, int height, string name)
    {
        if (mask is not null && (mask.Width < width || mask.Height < height))
            throw new ArgumentException($"{name} is {mask.Width} x {mask.Height}; it must cover {width} x {height}.", name);
    }

    /// <summary>The geometry of one estimate: patch placement, masks, targeting and the correlators.</summary>
    private sealed unsafe class Plan(Image2D<float> pre, Image2D<float> post, FlowOptions options, FlowInputs inputs, int nx, int ny)
    {
        private readonly int _p = options.PatchSize, _q = options.EffectivePostPatchSize, _s = options.Stride;

        // Pre patches share the post patch centre: start = j S - floor((P - Q) / 2).
        private int PreShift => (int)Math.Floor((_p - _q) / 2.0);

        private (int X, int Y) PostStart(int i, int j) => (j * _s, i * _s);

        private (int X, int Y) PreStart(int i, int j) => (Math.Max(0, j * _s - PreShift), Math.Max(0, i * _s - PreShift));

        /// <summary>Selection mask, minus entries whose pre or post window is at least MaxMasked masked.</summary>
        public bool[] Select()
        {
            var sel = new bool[nx * ny];
            var preCounts = inputs.PreMask is null ? null : Integral(inputs.PreMask);
            var postCounts = inputs.PostMask is null ? null : Integral(inputs.PostMask);
            for (int i = 0; i < ny; i++)
                for (int j = 0; j < nx; j++)
                {
                    if (inputs.Selection is { } sm && !sm[i, j]) continue;
                    if (postCounts is not null)
                    {
                        var (x, y) = PostStart(i, j);
                        if (Fraction(postCounts, inputs.PostMask!.Width, x, y, _q) >= options.MaxMasked) continue;
                    }
                    if (preCounts is not null)
                    {
                        var (x, y) = ClampStart(PreStart(i, j), _p, pre);
                        if (Fraction(preCounts, inputs.PreMask!.Width, x, y, _p) >= options.MaxMasked) continue;
                    }
                    sel[i * nx + j] = true;
                }
            return sel;
        }

        private static (int, int) ClampStart((int X, int Y) start, int size, Image2D<float> img) =>
            (Math.Clamp(start.X, 0, img.Width - size), Math.Clamp(start.Y, 0, img.Height - size));

        /// <summary>Summed-area table with a zero row and column in front.</summary>
        private static long[] Integral(Image2D<bool> mask)
        {
            int w = mask.Width, h = mask.Height;
            var t = new long[(long)(w + 1) * (h + 1)];
            for (int y = 0; y < h; y++)
            {
                long run = 0;
                for (int x = 0; x < w; x++)
                {
                    if (mask.Data[y * w + x]) run++;
                    t[(long)(y + 1) * (w + 1) + x + 1] = t[(long)y * (w + 1) + x + 1] + run;
                }
            }
            return t;
        }

        private static double Fraction(long[] t, int w, int x, int y, int size)
        {
            long W = w + 1;
            long c = t[(y + size) * W + x + size] - t[y * W + x + size] - t[(y + size) * W + x] + t[y * W + x];
            return c / ((double)size * size);
        }

        /// <summary>
        /// SOFIMA targeting: the prior vector at the patch centre (nearest node, half to even), NaN = 0, truncated
        /// toward zero, then shrunk so the shifted patch stays inside the image.
        /// </summary>
        private static (int X, int Y) Target(FlowField? field, (int X, int Y) start, int size, Image2D<float> img)
        {
            if (field is null || field.Width == 0 || field.Height == 0) return (0, 0);
            int ix = Math.Clamp((int)Math.Round((start.X + size / 2 - field.OriginX) / (double)field.Stride), 0, field.Width - 1);
            int iy = Math.Clamp((int)Math.Round((start.Y + size / 2 - field.OriginY) / (double)field.Stride), 0, field.Height - 1);
            int Offset(float v, int st, int n)
            {
                int o = float.IsFinite(v) ? (int)Math.Clamp(v, -1e9f, 1e9f) : 0;
                if (st + o < 0) o = -st;
                if (st + o + size > n) o = n - size - st;
                return o;
            }
            return (Offset(field[0, iy, ix], start.X, img.Width), Offset(field[1, iy, ix], start.Y, img.Height));
        }

        public void Run(List<(int Row, int J0, int J1)> items, bool[] selected, FlowField flow, ParallelOptions po, Action<int> reportDone)
        {
            bool masked = options.Correlation == CorrelationMode.MaskedNormalized;
            var fast = masked ? null : FastCorrelator.Get(_p, _q);
            var slow = masked ? MaskedCorrelator.Get(_p, _q) : null;
            int k = _p + _q - 1, o = (_p + _q) / 2 - 1, n = nx * ny;
            fixed (float* pp = pre.Data, qp = post.Data)
            {
                var preView = new ImageView(pp, pre.Width, pre.Height, MeanOf(pre));
                var postView = new ImageView(qp, post.Width, post.Height, MeanOf(post));
                Parallel.For(0, items.Count, po, t =>
                {
                    var (i, j0, j1) = items[t];
                    var fws = fast?.Rent();
                    var mws = slow?.Rent();
                    int count = 0;
                    try
                    {
                        for (int j = j0; j < j1; j++)
                        {
                            if (!selected[i * nx + j]) continue;
                            count++;
                            var preStart = PreStart(i, j);
                            var postStart = PostStart(i, j);
                            var preOff = Target(inputs.PreTargeting, preStart, _p, pre);
                            var postOff = Target(inputs.PostTargeting, postStart, _q, post);
                            // Windows that would leave the image are moved back inside (SOFIMA's slice clamping).
                            var (ax, ay) = ClampStart((preStart.X + preOff.X, preStart.Y + preOff.Y), _p, pre);
                            var (bx, by) = ClampStart((postStart.X + postOff.X, postStart.Y + postOff.Y), _q, post);
                            bool ok;
                            float* surface, laneMax = null;
                            int stride;
                            if (fws is not null)
                            {
                                ok = fast!.Correlate(fws, preView, ax, ay, postView, bx, by, options.Mean);
                                surface = fws.Surface;
                                laneMax = fws.LaneMax;
                                stride = fast.SurfaceStride;
                            }
                            else
                            {
                                ok = slow!.Correlate(mws!, pre, inputs.PreMask, ax, ay, post, inputs.PostMask, bx, by, options.Mean);
                                surface = mws!.Surface;
                                stride = k;
                            }
                            if (!ok) continue;
                            var peak = PeakFinder.Find(surface, k, k, stride, options.PeakMinDistance, options.PeakRadius, options.PeakRadius, options.SubPixel, laneMax);
                            if (!peak.Found) continue;
                            int e = i * nx + j;
                            flow.Data[e] = peak.X - o + peak.SubX + preOff.X - postOff.X;
                            flow.Data[n + e] = peak.Y - o + peak.SubY + preOff.Y - postOff.Y;
                            flow.Data[2 * n + e] = peak.Sharpness;
                            flow.Data[3 * n + e] = peak.Ratio;
                        }
                    }
                    finally
                    {
                        if (fws is not null) fast!.Return(fws);
                        if (mws is not null) slow!.Return(mws);
                    }
                    reportDone(count);
                });
            }
        }

        /// <summary>Mean of the finite pixels (0 if none); subtracted before transforms for float32 headroom.</summary>
        private static float MeanOf(Image2D<float> img)
        {
            double sum = 0;
            long count = 0;
            for (int y = 0; y < img.Height; y++)
            {
                var row = img.Data.AsSpan(y * img.Width, img.Width);
                float rs = TensorPrimitives.Sum(row);
                if (float.IsFinite(rs)) { sum += rs; count += row.Length; }
            }
            return count == 0 ? 0f : (float)(sum / count);
        }
    }
}
