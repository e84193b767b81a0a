using System.Diagnostics;
using EmAlign.Alignment;
using EmAlign.Formats;
using EmAlign.Quality;
using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Bench;

internal static partial class Scenarios
{
    private static readonly RenderOptions Zarr2Output = new() { Format = "zarr2", Force = true };

    /// <summary>
    /// Issue 3's accuracy and wall-time check: the ssTEM stack deformed with known rigid jitter (shift up to 20 px,
    /// rotation up to 1 degree) plus elastic fields (amplitude up to 6 px, correlation length 150 px), aligned with
    /// default settings; residual shifts against the original on 128 px patches; the OpenCV ECC + DIS chain on the
    /// same stack as the peer.
    /// </summary>
    private static void AlignElastic(string work)
    {
        using var original = VolumeFormats.Open(SsTemRaw);
        foreach (var (label, noise) in new[] { ("clean", (int?)null), ("section 7 replaced by noise", 7) })
        {
            string deformed = Path.Combine(work, $"deformed-{(noise is null ? "clean" : "noise")}.zarr");
            DeformedStack.Write(original, deformed, seed: 11, noiseSection: noise);
            string aligned = Path.Combine(work, $"aligned-{(noise is null ? "clean" : "noise")}.zarr");
            using var input = VolumeFormats.Open(deformed);
            var sw = Stopwatch.StartNew();
            var result = ElasticAlignment.Run(new VolumeView(input), aligned, new ElasticAlignmentOptions(), Zarr2Output);
            double seconds = sw.Elapsed.TotalSeconds;
            using var output = VolumeFormats.Open(aligned);
            var sections = Enumerable.Range(1, (int)output.Bounds.SizeZ - 1).Where(z => z != noise);
            var summary = ResidualShifts.Summarize(ResidualShifts.Measure(output, original, 128, sections));
            Console.WriteLine($"   [{label}] EmAlign align-elastic: {seconds:0.00} s, residual {summary}");
            foreach (var s in result.Render.Sections.Where(s => s.Status != "ok" && s.Status != "reference"))
                Console.WriteLine($"      flagged section {s.Z}: {s.Status} (vectors {s.FlowVectors}, p95 {s.ResidualP95:0.00})");
            if (noise is null)
            {
                string peerOut = Path.Combine(work, "aligned-opencv.zarr");
                var peer = Peer.Script("ecc_dis_align.py", deformed, peerOut);
                if (peer is not null)
                {
                    using var peerAligned = VolumeFormats.Open(peerOut);
                    var peerSummary = ResidualShifts.Summarize(ResidualShifts.Measure(peerAligned, original, 128, sections));
                    Console.WriteLine($"   [{label}] OpenCV ECC+DIS: {peer["seconds"]:0.00} s, residual {peerSummary}");
                    Measure.Row("align-elastic wall time (20 x 1024^2)", seconds, peer["seconds"], "s", higherIsBetter: false);
                    // What the residual against the original can reach at all on this data: the rigid chain, and each
                    // section aligned to its true (undeformed) predecessor, an oracle no aligner has.
                    foreach (var (variant, args) in new[]
                    {
                        ("OpenCV ECC rigid chain", new[] { deformed, peerOut, "--rigid" }),
                        ("OpenCV ECC rigid to the true predecessor (oracle, no chain)", new[] { deformed, peerOut, "--rigid", "--oracle", SsTemRaw }),
                        ("OpenCV ECC+DIS to the true predecessor (oracle, no chain)", new[] { deformed, peerOut, "--oracle", SsTemRaw }),
                    })
                    {
                        if (Peer.Script("ecc_dis_align.py", args) is null) continue;
                        using var variantAligned = VolumeFormats.Open(peerOut);
                        Console.WriteLine($"   [{label}] {variant}: residual {ResidualShifts.Summarize(ResidualShifts.Measure(variantAligned, original, 128, sections))}");
                    }
                }
                // The same pipeline on the undeformed stack: what is left is the drift that chaining real
                // neighbouring sections accumulates, the floor under any residual measured against the original.
                string identity = Path.Combine(work, "aligned-original.zarr");
                ElasticAlignment.Run(new VolumeView(original), identity, new ElasticAlignmentOptions(), Zarr2Output);
                using var identityAligned = VolumeFormats.Open(identity);
                Console.WriteLine($"   [undeformed original] EmAlign residual {ResidualShifts.Summarize(ResidualShifts.Measure(identityAligned, original, 128, sections))}");
                // Section 1 is registered to section 0, which is never deformed: one pair with a perfect reference,
                // no chain. What is left there is how far image registration of real neighbours disagrees with the
                // data authors' registration.
                Console.WriteLine($"   [section 1 only] deformed run {ResidualShifts.Summarize(ResidualShifts.Measure(output, original, 128, [1]))}; undeformed run {ResidualShifts.Summarize(ResidualShifts.Measure(identityAligned, original, 128, [1]))}");
                // How exactly the known deformation is undone, whatever the data's own drift: the aligned deformed stack
                // against the aligned undeformed one.
                using var alignedDeformed = VolumeFormats.Open(aligned);
                Console.WriteLine($"   [deformation recovery] aligned deformed vs aligned undeformed: {ResidualShifts.Summarize(ResidualShifts.Measure(alignedDeformed, identityAligned, 128, sections))}");
                // The same deformations applied to copies of one section: the ground truth is exact here, since there
                // is no change of content between sections for an aligner to follow.
                string sameContent = Path.Combine(work, "deformed-same-content.zarr"), sameTruth = Path.Combine(work, "same-content.zarr");
                DeformedStack.Write(original, sameContent, seed: 11, contentSection: 0);
                DeformedStack.Write(original, sameTruth, seed: 11, maxShift: 0, maxRotationDegrees: 0, elasticAmplitude: 0, contentSection: 0);
                using var truth = VolumeFormats.Open(sameTruth);
                using var sameInput = VolumeFormats.Open(sameContent);
                // em_2d's stiff mesh, and one whose tethers dominate (--k0 1): it follows the flows, which are exact here.
                foreach (var (setting, k0) in new[] { ("default", 0.01), ("--k0 1", 1.0) })
                {
                    string sameAligned = Path.Combine(work, "aligned-same-content.zarr");
                    var options = new ElasticAlignmentOptions();
                    ElasticAlignment.Run(new VolumeView(sameInput), sameAligned, options with { Mesh = options.Mesh with { K0 = k0 } }, Zarr2Output);
                    using var sameOutput = VolumeFormats.Open(sameAligned);
                    Console.WriteLine($"   [one section's content, 20 known deformations, {setting}] EmAlign residual {ResidualShifts.Summarize(ResidualShifts.Measure(sameOutput, truth, 128, sections))}");
                }
            }
        }
    }

    /// <summary>
    /// Issue 3's flow speed: patch correlation at patch 160, stride 40 on section pairs 0-1, 1-2, 2-3 of the ssTEM stack
    /// (SOFIMA's mean-removed correlation with peak statistics and sub-pixel peaks) against cv2.phaseCorrelate on the
    /// same patches, both on 2 threads.
    /// </summary>
    private static void FlowSpeed(string work)
    {
        var peer = Peer.Script("cv_flow_warp.py", SsTemRaw);
        var sections = Sections(4);
        var options = new Flow.FlowOptions { PatchSize = 160, Stride = 40 };
        int patches = 0;
        double seconds = Measure.Best(6, () =>
        {
            patches = 0;
            for (int z = 1; z < sections.Length; z++)
            {
                var flow = Flow.FlowEstimator.Estimate(sections[z - 1], sections[z], options);
                patches += flow.Width * flow.Height;
            }
        });
        Measure.Row("flow, patch 160 stride 40, 3 section pairs", patches / seconds, peer?["flow_patches_per_s"], "patches/s");
    }

    /// <summary>
    /// Issue 3's warp speed: Lanczos-4 rendering of sections 0..3 through a smooth map (6 px waves over 150 px and a
    /// 0.5 degree rotation, given on the 40 px node grid) against cv2.remap INTER_LANCZOS4 with the same map given
    /// densely, both on 2 threads.
    /// </summary>
    private static void WarpSpeed(string work)
    {
        var peer = Peer.Script("cv_flow_warp.py", SsTemRaw);
        using var volume = VolumeFormats.Open(SsTemRaw);
        int w = (int)volume.Bounds.SizeX, h = (int)volume.Bounds.SizeY, stride = 40;
        var plane = new Geometry.Box3(0, 0, 0, w, h, 1);
        var images = Enumerable.Range(0, 4).Select(z => new Warp.SectionImage<byte>(volume.Read<byte>(0, plane with { Z = z }), plane)).ToArray();
        int nx = w / stride + 2, ny = h / stride + 2;
        var map = new Maps.CoordinateMap(new Geometry.Box3(0, 0, 0, nx, ny, 1), stride, stride);
        double angle = 0.5 * Math.PI / 180, cx = w / 2.0, cy = h / 2.0;
        for (int i = 0; i < ny; i++)
            for (int j = 0; j < nx; j++)
            {
                double x = j * stride, y = i * stride;
                map.Dx(0)[i * nx + j] = (float)(cx + (x - cx) * Math.Cos(angle) - (y - cy) * Math.Sin(angle) + 6 * Math.Sin(2 * Math.PI * y / 150) - x);
                map.Dy(0)[i * nx + j] = (float)(cy + (x - cx) * Math.Sin(angle) + (y - cy) * Math.Cos(angle) + 6 * Math.Sin(2 * Math.PI * x / 150) - y);
            }
        var output = new byte[w * h];
        double seconds = Measure.Best(6, () =>
        {
            foreach (var image in images) Warp.SectionWarper.WarpTile<byte>(image, map, 0, plane, output, Warp.WarpInterpolation.Lanczos4);
        });
        Measure.Row("Lanczos-4 warp of 4 sections, 1024^2", images.Length * (double)w * h / seconds / 1e6, peer?["warp_mpx_per_s"], "Mpx/s");
    }

    /// <summary>The first <paramref name="count"/> ssTEM sections as float images.</summary>
    private static Numerics.Image2D<float>[] Sections(int count)
    {
        using var volume = VolumeFormats.Open(SsTemRaw);
        int w = (int)volume.Bounds.SizeX, h = (int)volume.Bounds.SizeY;
        return [.. Enumerable.Range(0, count).Select(z => new Numerics.Image2D<float>(volume.ReadSingle(0, new Geometry.Box3(0, 0, z, w, h, 1)), w, h))];
    }
}
