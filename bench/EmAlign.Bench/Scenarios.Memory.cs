using System.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Bench;

internal static partial class Scenarios
{
    /// <summary>
    /// Peak resident memory of `emalign convert` (run as its own process under /usr/bin/time) with a 16 MiB chunk
    /// cache, on volumes 4x and 8x larger than the cache: bounded memory means the peak does not grow with the volume.
    /// </summary>
    private static void ConvertMemory(string work)
    {
        var stack = LoadSsTem(out var box);
        string cli = FindCli();
        foreach (int copies in new[] { 4, 8, 16 })
        {
            string src = Path.Combine(work, $"mem-src-{copies}.zarr");
            using (var v = VolumeFormats.Create("zarr2", src, new VolumeCreateOptions
            { DataType = DataType.UInt8, Shape = [box.SizeZ * copies, box.SizeY, box.SizeX], ChunkShape = [4, 256, 256], Codec = "blosc-lz4", Force = true }))
                for (int c = 0; c < copies; c++) v.Write<byte>(0, box with { Z = c * box.SizeZ }, stack);
            double mb = stack.Length * copies / 1048576.0;
            var (exit, peakMb) = PeakRss(cli, 16, "convert", src, Path.Combine(work, $"mem-dst-{copies}.n5"), "--format", "n5", "--codec", "gzip", "--force");
            Console.WriteLine($"   convert zarr2 -> n5 of {mb:0} MiB ({mb / 16:0}x the 16 MiB cache): exit {exit}, peak RSS {peakMb:0} MiB");
        }
    }

    /// <summary>
    /// Issue 3's memory check: peak resident memory of `emalign align-elastic` (its own process) on the deformed ssTEM
    /// stack repeated to 20, 40 and 80 sections, with a chunk cache a quarter of the 20-section stack: 4x, 8x and 16x
    /// the cache. Bounded memory means the peak does not grow with the stack.
    /// </summary>
    private static void AlignMemory(string work)
    {
        using var original = VolumeFormats.Open(SsTemRaw);
        string deformed = Path.Combine(work, "deformed-clean.zarr");
        DeformedStack.Write(original, deformed, seed: 11);
        var box = original.Bounds;
        var stack = new byte[box.SizeX * box.SizeY * box.SizeZ];
        using (var d = VolumeFormats.Open(deformed)) d.Read<byte>(0, box).CopyTo(stack, 0);
        string cli = FindCli();
        const int CacheMb = 5;
        foreach (int copies in new[] { 1, 2, 4 })
        {
            string src = Path.Combine(work, $"align-mem-src-{copies}.zarr");
            using (var v = VolumeFormats.Create("zarr2", src, new VolumeCreateOptions
            { DataType = DataType.UInt8, Shape = [box.SizeZ * copies, box.SizeY, box.SizeX], ChunkShape = [1, 512, 512], Force = true }))
                for (int c = 0; c < copies; c++) v.Write<byte>(0, box with { Z = c * box.SizeZ }, stack);
            double mb = stack.Length * copies / 1048576.0;
            var (exit, peakMb) = PeakRss(cli, CacheMb, "align-elastic", src, Path.Combine(work, $"align-mem-dst-{copies}.zarr"), "--force");
            Console.WriteLine($"   align-elastic of {box.SizeZ * copies} sections, {mb:0} MiB ({mb / CacheMb:0}x the {CacheMb} MiB cache): exit {exit}, peak RSS {peakMb:0} MiB");
            if (copies == 4)
            {
                // The peak above grows with the stack only because the GC lets garbage (section images) pile up while
                // it has room: the longest stack also runs with the managed heap capped at 96 MiB.
                (exit, peakMb) = PeakRss(cli, CacheMb, ["align-elastic", src, Path.Combine(work, $"align-mem-dst-{copies}.zarr"), "--force"], ("DOTNET_GCHeapHardLimit", "0x6000000"));
                Console.WriteLine($"   the same with the GC heap capped at 96 MiB: exit {exit}, peak RSS {peakMb:0} MiB");
            }
        }
    }

    /// <summary>Runs the emalign command under /usr/bin/time with a chunk cache of <paramref name="cacheMb"/> MiB; its exit code and peak RSS in MiB.</summary>
    private static (int Exit, double PeakMb) PeakRss(string cli, int cacheMb, params string[] args) => PeakRss(cli, cacheMb, args, []);

    private static (int Exit, double PeakMb) PeakRss(string cli, int cacheMb, string[] args, params (string Name, string Value)[] environment)
    {
        var psi = new ProcessStartInfo("/usr/bin/time", ["-f", "%M", "dotnet", cli, .. args]) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["EMALIGN_CACHE_MB"] = cacheMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd().Trim().Split('\n');
        p.WaitForExit();
        return (p.ExitCode, double.TryParse(err[^1], out var kb) ? kb / 1024 : double.NaN);
    }

    private static string FindCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var config in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "src", "EmAlign.Cli", "bin", config, "net8.0", "emalign.dll");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("emalign.dll not found: build src/EmAlign.Cli first (dotnet build -c Release).");
    }
}
