using System.Diagnostics;
using EmAlign.Alignment;
using EmAlign.Formats;
using EmAlign.Quality;
using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Bench;

internal static partial class Scenarios
{
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
            var result = ElasticAlignment.Run(new VolumeView(input), aligned, new ElasticAlignmentOptions(), new RenderOptions { Format = "zarr2", Force = true });
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
                }
                // The same pipeline on the undeformed stack: what is left is the drift that chaining real
                // neighbouring sections accumulates, the floor under any residual measured against the original.
                string identity = Path.Combine(work, "aligned-original.zarr");
                ElasticAlignment.Run(new VolumeView(original), identity, new ElasticAlignmentOptions(), new RenderOptions { Format = "zarr2", Force = true });
                using var identityAligned = VolumeFormats.Open(identity);
                Console.WriteLine($"   [undeformed original] EmAlign residual {ResidualShifts.Summarize(ResidualShifts.Measure(identityAligned, original, 128, sections))}");
                // How exactly the known deformation is undone, whatever the data's own drift: the aligned deformed stack
                // against the aligned undeformed one.
                using var alignedDeformed = VolumeFormats.Open(aligned);
                Console.WriteLine($"   [deformation recovery] aligned deformed vs aligned undeformed: {ResidualShifts.Summarize(ResidualShifts.Measure(alignedDeformed, identityAligned, 128, sections))}");
            }
        }
    }
}
