using System.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
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
            var psi = new ProcessStartInfo("/usr/bin/time", ["-f", "%M", "dotnet", cli, "convert", src, Path.Combine(work, $"mem-dst-{copies}.n5"), "--format", "n5", "--codec", "gzip", "--force"])
            { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.Environment["EMALIGN_CACHE_MB"] = "16";
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            var err = p.StandardError.ReadToEnd().Trim().Split('\n');
            p.WaitForExit();
            double peakMb = double.TryParse(err[^1], out var kb) ? kb / 1024 : double.NaN;
            Console.WriteLine($"   convert zarr2 -> n5 of {mb:0} MiB ({mb / 16:0}x the 16 MiB cache): exit {p.ExitCode}, peak RSS {peakMb:0} MiB");
        }
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
